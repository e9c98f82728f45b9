// npm test: runs the whole suite inside workerd (vitest + @cloudflare/vitest-plugin), then the
// Node tests of local tooling (node --test: local/*.test.ts, local/django/*.test.ts), and ends with
// one line CI can read, exactly like "42 passed, 0 failed", counting both. A green run is quiet: a
// line per test file, dots for the Node tests, the counts. The worker's JSON log lines go to
// .local/test-worker.log (named at the end when a test failed); TEST_LOGS=1 prints them as well.
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
mkdirSync(`${root}.local`, { recursive: true });
const report = `${root}.local/test-report.json`;
const nodeReport = `${root}.local/node-test-report.tap`;
const workerLog = `${root}.local/test-worker.log`;
writeFileSync(workerLog, "");
const showWorkerLogs = process.env.TEST_LOGS === "1";
let workerLogLines = 0;
rmSync(report, { force: true });
rmSync(nodeReport, { force: true });

// workerd prints a KJ "uncaught exception" block with native stack addresses for every outbound
// connection that fails, even when the JavaScript that made it catches the rejection (a caught
// `fetch("http://127.0.0.1:9/")` alone prints one). The suite provokes such failures on purpose
// (MySQL, Redis, Turnstile, a provider unreachable) and asserts the 503s; the blocks carry nothing
// else. They are folded into one counted line at the end; every other line, including any other
// uncaught exception, passes through.
const NETWORK_FAILURE_NOISE = [
  /^exception = \S+:\d+: disconnected: /,
  /^stack: (\S+workerd@[0-9a-f]+ ?)+$/,
  /^uncaught exception; source = Uncaught \(in promise\); stack = Error: Network connection lost\.$/,
  /^uncaught exception; exception = \S+: disconnected: jsg\.Error: Network connection lost\.$/,
];
let foldedNetworkFailures = 0;

function runVitest(): Promise<number> {
  const vitest = spawn(
    process.execPath,
    [
      `${root}node_modules/vitest/vitest.mjs`,
      "run",
      // default: one line per file, a failing test's logs and error; json: the counts below;
      // the progress reporter: a timeline in .local/test-progress.log, and a loud end to a stuck pool.
      "--reporter=default",
      "--reporter=json",
      "--reporter=./local/test-progress-reporter.ts",
      `--outputFile.json=${report}`,
      ...process.argv.slice(2),
    ],
    {
      cwd: root,
      detached: true,
      stdio: ["inherit", "pipe", "pipe"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        ...(process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}),
      },
    },
  );
  // workerd writes console.log to stdout and console.warn/error to stderr: both are filtered.
  const filter = (line: string, write: (text: string) => void) => {
    const plain = line.replace(/\x1b\[[0-9;]*m/g, "");
    if (NETWORK_FAILURE_NOISE.some((pattern) => pattern.test(plain))) {
      if (plain.startsWith("uncaught exception; source")) foldedNetworkFailures++;
      return;
    }
    // The worker's structured log (src/lib/log.ts): one JSON object per line with a level.
    if (plain.startsWith('{"level":')) {
      appendFileSync(workerLog, `${plain}\n`);
      workerLogLines++;
      if (!showWorkerLogs) return;
    }
    write(line);
  };
  createInterface({ input: vitest.stdout }).on("line", (line) => filter(line, console.log));
  createInterface({ input: vitest.stderr }).on("line", (line) => filter(line, console.error));
  return new Promise((resolve) =>
    vitest.on("close", (code) => {
      // Whatever vitest left behind (workerd, the test stack) goes with its process group.
      try {
        if (vitest.pid) process.kill(-vitest.pid, "SIGKILL");
      } catch {}
      resolve(code ?? 1);
    }),
  );
}

const status = await runVitest();
if (status !== 0 && workerLogLines > 0) console.log(`(the worker's ${workerLogLines} log lines are in .local/test-worker.log)`);
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

// The Node tests: dots (and any failure in full) on the terminal, TAP into a file for its
// "# pass N" / "# fail N".
const nodeTests = spawn(
  process.execPath,
  [
    "--disable-warning=ExperimentalWarning",
    "--test",
    "--test-reporter=dot",
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
