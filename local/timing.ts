// npm run timing: does login or password forget tell, by its timing, whether an account exists?
// Times unknown account vs wrong password (login) and unknown vs known email (password forget),
// interleaved request by request against the production bundle under plain workerd and the local
// stack, and checks that both cases answer the same status and byte-identical body.
//   npm run timing -- [--samples N, default 200] [--accounts N, default 50]
// Prints a markdown table and writes .local/timing/results.json; exits non-zero on any mismatch.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MissingServerError } from "./stack.ts";
import { startWorkerdOnStack } from "./workerd-runner.ts";

const { values } = parseArgs({ options: { samples: { type: "string" }, accounts: { type: "string" } } });
const samples = Number(values.samples ?? 200);
const WARMUP = 20;
/** Wrong passwords per account, warm-up included: stays below the lockout after 5 failures. */
const MAX_WRONG = 4;
const accounts = Math.max(Number(values.accounts ?? 50), Math.ceil((samples + WARMUP) / MAX_WRONG));
const dir = fileURLToPath(new URL("../.local/timing", import.meta.url));
const PASSWORD = "Timing-passphrase-42";

type Call = { path: string; headers?: Record<string, string>; body?: unknown };

// A distinct client address per request, so no per-IP limit ever sees the same client twice.
let clients = 0;
const nextIp = () => {
  const n = ++clients;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};
const loginAs = (user: string, password: string): Call => ({
  path: "/auth/user/login/",
  headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` },
});
const forgetFor = (email: string): Call => ({ path: "/auth/password/forget/", body: { email } });

async function call(base: string, request: Call) {
  const headers: Record<string, string> = { "cf-connecting-ip": nextIp(), ...request.headers };
  if (request.body !== undefined) headers["content-type"] = "application/json";
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const started = performance.now();
  const res = await fetch(`${base}${request.path}`, { method: "POST", headers, body });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, text };
}

function stats(name: string, latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const pick = (q: number) => Number((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(2));
  const mean = Number((sorted.reduce((sum, ms) => sum + ms, 0) / Math.max(1, sorted.length)).toFixed(2));
  return { name, count: sorted.length, median_ms: pick(0.5), p10_ms: pick(0.1), p90_ms: pick(0.9), mean_ms: mean };
}

/**
 * Alternates baseline and probe request by request, one at a time, so drift of the machine
 * (CPU frequency, GC, caches) hits both alike. Every answer, warm-up included, must have the
 * expected status and the same body text as the very first one.
 */
async function compare(
  base: string,
  expect: number,
  baseline: { name: string; request: (i: number) => Call },
  probe: { name: string; request: (i: number) => Call },
  mismatches: string[],
) {
  const times: [number[], number[]] = [[], []];
  let reference: string | undefined;
  for (let i = 0; i < WARMUP + samples; i++) {
    for (const [side, which] of [baseline, probe].entries()) {
      const result = await call(base, which.request(i));
      reference ??= result.text;
      if (result.status !== expect || result.text !== reference) {
        const body = result.text === reference ? "" : `, body ${reference}`;
        mismatches.push(`${which.name} #${i}: ${result.status} ${result.text} (expected ${expect}${body})`);
      }
      if (i >= WARMUP) times[side as 0 | 1].push(result.ms);
    }
  }
  const cases = [stats(baseline.name, times[0]), stats(probe.name, times[1])] as const;
  const ratio = cases[1].median_ms / cases[0].median_ms;
  const comparison = {
    name: `${probe.name} / ${baseline.name}`,
    ratio: Number(ratio.toFixed(3)),
    difference_pct: Number(((ratio - 1) * 100).toFixed(1)),
  };
  return { cases, comparison };
}

async function main() {
  const { worker, stop } = await startWorkerdOnStack(dir);
  try {
    const base = worker.url;
    const run = Date.now().toString(36);
    // Real and never-existing names of the same length, so the length is no difference.
    const real = (i: number) => `real_${run}_${i % accounts}`;
    const none = (i: number) => `none_${run}_${i}`;
    for (let i = 0; i < accounts; i++) {
      const body = { username: real(i), email: `${real(i)}@example.com`, password: PASSWORD, password2: PASSWORD };
      const signup = await call(base, { path: "/auth/user/signup/", body });
      if (signup.status !== 201) throw new Error(`signup #${i} answered ${signup.status}: ${signup.text}`);
    }

    const mismatches: string[] = [];
    const login = await compare(
      base,
      401,
      { name: "login: unknown account", request: (i) => loginAs(none(i), PASSWORD) },
      // Round-robin: i < accounts * MAX_WRONG, so no account reaches the lockout.
      { name: "login: wrong password", request: (i) => loginAs(real(i), `${PASSWORD}x`) },
      mismatches,
    );
    const forget = await compare(
      base,
      200,
      { name: "forget: unknown email", request: (i) => forgetFor(`${none(i)}@example.com`) },
      { name: "forget: known email", request: (i) => forgetFor(`${real(i)}@example.com`) },
      mismatches,
    );

    console.log("\n| case | count | median ms | p10 ms | p90 ms | mean ms | median vs unknown |");
    console.log("|---|---:|---:|---:|---:|---:|---:|");
    for (const { cases, comparison } of [login, forget]) {
      const { ratio, difference_pct: pct } = comparison;
      const versus = ["baseline", `${ratio.toFixed(3)}× (${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%)`];
      for (const [side, s] of cases.entries()) {
        const times = [s.median_ms, s.p10_ms, s.p90_ms, s.mean_ms].map((ms) => ms.toFixed(2)).join(" | ");
        console.log(`| ${s.name} | ${s.count} | ${times} | ${versus[side]} |`);
      }
    }
    mkdirSync(dir, { recursive: true });
    const results = {
      samples,
      warmup: WARMUP,
      accounts,
      cases: [...login.cases, ...forget.cases],
      comparisons: [login.comparison, forget.comparison],
      mismatches,
    };
    writeFileSync(`${dir}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\n(${samples} samples a case after ${WARMUP} warm-up, ${accounts} accounts; .local/timing/results.json)`);
    if (mismatches.length > 0) {
      console.error(`${mismatches.length} answers differed:\n  ${mismatches.slice(0, 10).join("\n  ")}`);
      process.exitCode = 1;
    }
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error instanceof MissingServerError ? error.message : error);
  process.exit(1);
});
