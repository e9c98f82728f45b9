// npm run bench: latency, throughput and round trips per request of the main endpoints, with the
// production bundle under plain workerd against the local stack (real MariaDB and Redis behind
// the protocol servers, whose counters give the round trips). Loopback only, bounded in count.
//   npm run bench -- [requests per scenario, default 200] [concurrency, default 8]
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type LocalStack, MissingServerError } from "./stack.ts";
import { startWorkerdOnStack } from "./workerd-runner.ts";

const requests = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 8);
const dir = fileURLToPath(new URL("../.local/bench", import.meta.url));

interface Scenario {
  name: string;
  /** How many requests (PBKDF2-bound ones are fewer: each costs ~15 ms of CPU). */
  count: number;
  request: (i: number) => { method: string; path: string; headers?: Record<string, string>; body?: string };
  expect: number;
}

const json = (body: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});
const PASSWORD = "Bench-passphrase-42";

async function call(base: string, request: ReturnType<Scenario["request"]>) {
  const started = performance.now();
  const res = await fetch(`${base}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, text };
}

async function counters(stack: LocalStack) {
  const read = async (url: string) => ((await (await fetch(`${url}/__stats`)).json()) as { total: number }).total;
  return { db: await read(stack.planetscale.url), redis: await read(stack.upstash.url) };
}

async function resetCounters(stack: LocalStack) {
  await fetch(`${stack.planetscale.url}/__stats/reset`, { method: "POST" });
  await fetch(`${stack.upstash.url}/__stats/reset`, { method: "POST" });
}

async function run(base: string, stack: LocalStack, scenario: Scenario) {
  await resetCounters(stack);
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < scenario.count; i = next++) {
        const result = await call(base, scenario.request(i));
        latencies.push(result.ms);
        if (result.status !== scenario.expect) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // Work after the response (waitUntil: login's last-login write) lands shortly after.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const trips = await counters(stack);
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    scenario: scenario.name,
    requests: scenario.count,
    failures,
    rps: Math.round(scenario.count / seconds),
    p50_ms: Number(pick(0.5).toFixed(1)),
    p95_ms: Number(pick(0.95).toFixed(1)),
    mysql_per_request: Number((trips.db / scenario.count).toFixed(2)),
    redis_per_request: Number((trips.redis / scenario.count).toFixed(2)),
  };
}

async function main() {
  const { stack, worker, stop } = await startWorkerdOnStack(dir);
  const base = worker.url;
  const run_id = Date.now().toString(36);
  const user = (i: number) => `bench_${run_id}_${i}`;
  const slow = Math.max(concurrency, Math.floor(requests / 4));

  // Accounts and sessions to exercise, made once up front.
  const sessions: { access: string; refresh: string }[] = [];
  const scenarios: Scenario[] = [
    { name: "GET /health", count: requests, expect: 200, request: () => ({ method: "GET", path: "/health" }) },
    {
      name: "POST signup",
      count: slow,
      expect: 201,
      request: (i) => ({
        method: "POST",
        path: "/auth/user/signup/",
        ...json({ username: user(i), email: `${user(i)}@example.com`, password: PASSWORD, password2: PASSWORD }),
      }),
    },
    {
      name: "POST login (Basic)",
      count: slow,
      expect: 200,
      request: (i) => ({ method: "POST", path: "/auth/user/login/", headers: basic(user(i % slow), PASSWORD) }),
    },
    {
      name: "POST jwt/check",
      count: requests,
      expect: 200,
      request: (i) => ({
        method: "POST",
        path: "/auth/jwt/check/",
        headers: { authorization: `Bearer ${sessions[i % sessions.length]?.access}` },
      }),
    },
    {
      name: "POST jwt/get-access",
      count: requests,
      expect: 200,
      request: (i) => ({
        method: "POST",
        path: "/auth/jwt/get-access/",
        ...json({ refresh: sessions[i % sessions.length]?.refresh }),
      }),
    },
    {
      name: "GET profile",
      count: requests,
      expect: 200,
      request: (i) => ({
        method: "GET",
        path: "/profile/",
        headers: { authorization: `Bearer ${sessions[i % sessions.length]?.access}` },
      }),
    },
  ];

  const results = [];
  for (const scenario of scenarios) {
    if (scenario.name === "POST jwt/check") {
      for (let i = 0; i < slow; i++) {
        const login = await call(base, { method: "POST", path: "/auth/user/login/", headers: basic(user(i), PASSWORD) });
        sessions.push((JSON.parse(login.text) as { data: { access: string; refresh: string } }).data);
      }
    }
    results.push(await run(base, stack, scenario));
  }
  console.table(results);
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/results.json`, `${JSON.stringify({ requests, concurrency, results }, null, 2)}\n`);
  console.log(`(concurrency ${concurrency}; results also in .local/bench/results.json)`);
  await stop();
}

main().catch((error) => {
  console.error(error instanceof MissingServerError ? error.message : error);
  process.exit(1);
});
