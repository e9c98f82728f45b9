// npm test: runs the whole suite inside workerd (vitest + @cloudflare/vitest-pool-workers), then the
// Node tests of local tooling (node --test: local/django/*.test.ts), and ends with one line CI can
// read, exactly like "42 passed, 0 failed", counting both.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
mkdirSync(`${root}.local`, { recursive: true });
const report = `${root}.local/test-report.json`;
const nodeReport = `${root}.local/node-test-report.tap`;
rmSync(report, { force: true });
rmSync(nodeReport, { force: true });

// workerd prints a KJ "uncaught exception" block with native stack addresses for every outbound
// connection that fails, even when the JavaScript that made it catches the rejection (a caught
// `fetch("http://127.0.0.1:9/")` alone prints one). The suite provokes such failures on purpose
// (MySQL, Redis, Turnstile, a provider unreachable) and asserts the 503s; the blocks carry nothing
// else. They are folded into one counted line at the end; every other line, including any other
// uncaught exception, passes through.
const NETWORK_FAILURE_NOISE = [
  /^exception = kj\/async-io-unix\.c\+\+:\d+: disconnected: /,
  /^stack: (\S+workerd@[0-9a-f]+ ?)+$/,
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: Network connection lost\.$/,
  /^uncaught exception; exception = \S+: disconnected: jsg\.Error: Network connection lost\.$/,
];
let foldedNetworkFailures = 0;

// A watchdog for one known failure of the test runner itself: on some runs the pool stops between
// two files (vitest and workerd idle, no output, no test running) and would wait until CI's time
// limit. No test here is silent for long (the slowest waits about 75 s for a TOTP step), so
// STALL_MS without a line means that stall: the whole run (vitest, workerd and the test stack, one
// process group) is killed and started again, once, and the log says so. A stall in the second
// run is a failure.
const STALL_MS = Number(process.env.TEST_STALL_MS) || 4 * 60_000;

function runVitest(): Promise<number | "stalled"> {
  const vitest = spawn(
    process.execPath,
    [
      `${root}node_modules/vitest/vitest.mjs`,
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report}`,
      ...process.argv.slice(2),
    ],
    {
      cwd: root,
      detached: true,
      stdio: ["inherit", "pipe", "inherit"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        ...(process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}),
      },
    },
  );
  let lastLine = Date.now();
  let stalled = false;
  const watchdog = setInterval(() => {
    if (Date.now() - lastLine < STALL_MS || !vitest.pid) return;
    stalled = true;
    console.log(`[test] no output for ${STALL_MS / 1000} s: the test pool stalled; stopping this run`);
    process.kill(-vitest.pid, "SIGKILL");
  }, 5_000);
  const lines = createInterface({ input: vitest.stdout });
  lines.on("line", (line) => {
    lastLine = Date.now();
    const plain = line.replace(/\x1b\[[0-9;]*m/g, "");
    if (NETWORK_FAILURE_NOISE.some((pattern) => pattern.test(plain))) {
      if (plain.startsWith("uncaught exception; source")) foldedNetworkFailures++;
      return;
    }
    console.log(line);
  });
  return new Promise((resolve) =>
    vitest.on("close", (code) => {
      clearInterval(watchdog);
      resolve(stalled ? "stalled" : (code ?? 1));
    }),
  );
}

let outcome = await runVitest();
if (outcome === "stalled") {
  console.log("[test] running the suite again (once) after a stalled pool");
  rmSync(report, { force: true });
  outcome = await runVitest();
}
const status = outcome === "stalled" ? 1 : outcome;
if (foldedNetworkFailures > 0) {
  console.log(`(workerd logged ${foldedNetworkFailures} caught network failures of deliberately unreachable services; folded)`);
}

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const results = JSON.parse(readFileSync(report, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numTotalTests: number;
  };
  passed = results.numPassedTests;
  failed = results.numFailedTests;
}
// A crash before any test ran, or a failed file that counted no test, must still read as a failure.
if (status !== 0 && failed === 0) failed = 1;

// The Node tests: spec output on the terminal, TAP into a file for its "# pass N" / "# fail N".
const nodeTests = spawn(
  process.execPath,
  [
    "--disable-warning=ExperimentalWarning",
    "--test",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${nodeReport}`,
    "local/*.test.ts",
    "local/django/*.test.ts",
  ],
  { cwd: root, stdio: "inherit" },
);
const nodeStatus = await new Promise<number>((resolve) => nodeTests.on("close", (code) => resolve(code ?? 1)));
const tap = existsSync(nodeReport) ? readFileSync(nodeReport, "utf8") : "";
const tapCount = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, "m").exec(tap)?.[1] ?? 0);
const nodeFailed = tapCount("fail") + tapCount("cancelled");
passed += tapCount("pass");
failed += nodeStatus !== 0 && nodeFailed === 0 ? 1 : nodeFailed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
