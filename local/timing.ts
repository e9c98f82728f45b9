// npm run timing: does login or password forget tell, by its timing, whether an account exists?
// Times unknown account vs wrong password (login) and unknown vs known email (password forget),
// interleaved request by request against the production bundle under plain workerd and the local
// stack, and checks that both cases answer the same status and byte-identical body. Then, while
// refused (docs/lockout.md): does a locked login tell a right password from a wrong one, or a
// locked 2FA verify a code of the current window from a wrong one? Those two must have medians
// within 3 % and a Mann-Whitney rank test that finds no difference (|z| < 2.58, p > 0.01).
//   npm run timing -- [--samples N, default 200] [--accounts N, default 50]
// Prints a markdown table and writes .local/timing/results.json; exits non-zero on any mismatch.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateTotp } from "../src/lib/totp.ts";
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

/**
 * Mann-Whitney U of two samples, as a z score (normal approximation, average ranks for ties):
 * |z| beyond 2.58 says the two differ in where their values lie (p < 0.01, two-sided).
 */
export function rankTestZ(a: number[], b: number[]): number {
  const all = [...a.map((value) => ({ value, side: 0 })), ...b.map((value) => ({ value, side: 1 }))].sort(
    (x, y) => x.value - y.value,
  );
  const ranks = new Array<number>(all.length);
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]?.value === all[i]?.value) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const rankSumA = all.reduce((sum, item, index) => sum + (item.side === 0 ? (ranks[index] ?? 0) : 0), 0);
  const [n1, n2] = [a.length, b.length];
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const sd = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  return sd === 0 ? 0 : (u - (n1 * n2) / 2) / sd;
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
    rank_z: Number(rankTestZ(times[0], times[1]).toFixed(2)),
  };
  return { cases, comparison };
}

async function signUp(base: string, name: string) {
  const body = { username: name, email: `${name}@example.com`, password: PASSWORD, password2: PASSWORD };
  const signup = await call(base, { path: "/auth/user/signup/", body });
  if (signup.status !== 201) throw new Error(`signup of ${name} answered ${signup.status}: ${signup.text}`);
}

const verifyWith = (mfaToken: string, code: string): Call => ({
  path: "/auth/secure/2fa/verify/",
  body: { mfa_token: mfaToken, code },
});
/** A code of no window near now. */
const wrongCode = (secret: string) => {
  const near = [-1, 0, 1].map((step) => generateTotp(secret, Date.now() + step * 30_000));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, "0");
    if (!near.includes(code)) return code;
  }
};

/**
 * A 2FA account whose second-factor budget (20 wrong answers an hour from clients without a
 * device token) strangers who know the password used up, and one more mfa_token of it: refused
 * answers do not spend it, so every sample can use it.
 */
async function lockedTwoFactor(base: string) {
  const name = `twofa_${Date.now().toString(36)}`;
  await signUp(base, name);
  const first = JSON.parse((await call(base, loginAs(name, PASSWORD))).text).data;
  const bearer = { authorization: `Bearer ${first.access}` };
  const setup = await call(base, { path: "/auth/secure/2fa/setup/", headers: bearer, body: { password: PASSWORD } });
  const secret = String(JSON.parse(setup.text).data.secret);
  const confirm = { code: generateTotp(secret, Date.now() - 30_000) };
  const confirmed = await call(base, { path: "/auth/secure/2fa/confirm/", headers: bearer, body: confirm });
  if (confirmed.status !== 200) throw new Error(`2FA confirm answered ${confirmed.status}: ${confirmed.text}`);
  const mfaToken = async () => String(JSON.parse((await call(base, loginAs(name, PASSWORD))).text).data.mfa_token);
  for (let round = 0; round < 4; round++) {
    const token = await mfaToken();
    for (let i = 0; i < 5; i++) await call(base, verifyWith(token, wrongCode(secret)));
  }
  return { secret, mfaToken: await mfaToken() };
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

    // An account whose name's guessing budget (10 an hour) strangers used up.
    const lockedName = `locked_${run}`;
    await signUp(base, lockedName);
    for (let i = 0; i < 10; i++) await call(base, loginAs(lockedName, `${PASSWORD}-guess-${i}`));

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

    const lockedLogin = await compare(
      base,
      429,
      { name: "locked login: wrong password", request: () => loginAs(lockedName, `${PASSWORD}x`) },
      { name: "locked login: right password", request: () => loginAs(lockedName, PASSWORD) },
      mismatches,
    );
    const twoFactor = await lockedTwoFactor(base);
    const lockedVerify = await compare(
      base,
      429,
      { name: "locked 2FA verify: wrong code", request: () => verifyWith(twoFactor.mfaToken, wrongCode(twoFactor.secret)) },
      {
        name: "locked 2FA verify: valid code",
        request: () => verifyWith(twoFactor.mfaToken, generateTotp(twoFactor.secret, Date.now())),
      },
      mismatches,
    );
    // While refused, nothing secret may show: medians within 3 % and no difference a rank test finds.
    for (const { comparison } of [lockedLogin, lockedVerify]) {
      if (Math.abs(comparison.difference_pct) > 3 || Math.abs(comparison.rank_z) >= 2.58) {
        mismatches.push(`${comparison.name}: ${comparison.difference_pct}% apart, rank z ${comparison.rank_z}`);
      }
    }

    console.log("\n| case | count | median ms | p10 ms | p90 ms | mean ms | median vs baseline | rank test z |");
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const { cases, comparison } of [login, forget, lockedLogin, lockedVerify]) {
      const { ratio, difference_pct: pct } = comparison;
      const versus = [
        "baseline | ",
        `${ratio.toFixed(3)}× (${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%) | ${comparison.rank_z.toFixed(2)}`,
      ];
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
      cases: [...login.cases, ...forget.cases, ...lockedLogin.cases, ...lockedVerify.cases],
      comparisons: [login.comparison, forget.comparison, lockedLogin.comparison, lockedVerify.comparison],
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
