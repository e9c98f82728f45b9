// npm run bench: every endpoint of the production bundle under plain workerd against the local
// stack (real MariaDB and Redis behind the protocol servers, whose counters give the round trips),
// next to the floors of this machine measured in the same run by a tiny separate worker
// (local/bench/floor-worker.ts): an empty response, one PBKDF2, one `SELECT 1`, one `PING`.
// For each endpoint: round trips per request, p50/p99 at concurrency 1 and 16, throughput at 16,
// CPU ms per request of the workerd process (/proc/<pid>/stat) and p50@1 / floor. Also the
// bundle's gzip size (largest packages) and the worker's startup CPU (wrangler check startup).
//   npm run bench -- [--requests N] [--quick] [--only login-basic,check] [--concurrency 16]
//                    [--db-latency-ms 40] [--redis-latency-ms 3] [--skip-startup]
// Writes .local/bench/results[-db<ms>-redis<ms>].{md,json}. Loopback only, bounded in count.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Fixtures, OAUTH_BENCH_REDIRECT } from "./bench/fixtures.ts";
import {
  alternateFor,
  describeFloor,
  FLOOR_ROUTES,
  type FloorParts,
  type FloorRun,
  floorFromAlternated,
  floorMs,
  floorParts,
  measureFloors,
  startFloorWorker,
} from "./bench/floor.ts";
import { call, measure, type Phase } from "./bench/measure.ts";
import { MAX_CONCURRENCY, SCENARIOS, type Scenario } from "./bench/scenarios.ts";
import { type BundleReport, bundleReport, type StartupReport, startupReport } from "./bench/startup.ts";
import { DEV_OIDC_CLIENT } from "./dev-oidc-clients.ts";
import { startDevOidcProvider } from "./dev-oidc-provider.ts";
import { freePort } from "./processes.ts";
import { MissingServerError } from "./stack.ts";
import { startWorkerdOnStack, workerdBinary } from "./workerd-runner.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: "string" },
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    concurrency: { type: "string", default: String(MAX_CONCURRENCY) },
    "db-latency-ms": { type: "string", default: "0" },
    "redis-latency-ms": { type: "string", default: "0" },
    "skip-startup": { type: "boolean", default: false },
  },
});

// The old positional form (`npm run bench -- 200`) still gives the request count.
const requests = Number(values.requests ?? positionals[0] ?? (values.quick ? 60 : 300));
/** Requests per phase of an endpoint whose requests each cost a PBKDF2 or a fresh account. */
const heavyRequests = Math.max(16, Math.round(requests / 6));
/** Concurrency-1 phases of the cheap endpoints: enough for a p50 (and a p99 of sorts). */
const serialRequests = Math.max(16, Math.round(requests / 4));
const concurrency = Number(values.concurrency);
const dbLatencyMs = Number(values["db-latency-ms"]);
const redisLatencyMs = Number(values["redis-latency-ms"]);
const PBKDF2_ITERATIONS = 100_000;

if (!(requests >= 1) || !(concurrency >= 1 && concurrency <= MAX_CONCURRENCY) || !(dbLatencyMs >= 0) || !(redisLatencyMs >= 0)) {
  console.error(`--requests >= 1, --concurrency 1..${MAX_CONCURRENCY}, latencies >= 0 ms`);
  process.exit(2);
}
const only = values.only?.split(",").map((key) => key.trim());
const unknown = only?.filter((key) => !SCENARIOS.some((scenario) => scenario.key === key)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown scenario(s) ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.key).join(", ")}`);
  process.exit(2);
}
const selected = SCENARIOS.filter((scenario) => !only || only.includes(scenario.key));

const dir = fileURLToPath(new URL("../.local/bench", import.meta.url));
const latencyTag = dbLatencyMs || redisLatencyMs ? `-db${dbLatencyMs}-redis${redisLatencyMs}` : "";
// Work after a response (a few round trips at most) has landed once the counters are quiet this long.
const quietMs = 150 + 3 * Math.max(dbLatencyMs, redisLatencyMs);

// Read by local/psdb-server.ts and local/upstash-server.ts when the stack starts (this process).
process.env.PSDB_SERVER_LATENCY_MS = String(dbLatencyMs);
process.env.UPSTASH_SERVER_LATENCY_MS = String(redisLatencyMs);

function machine() {
  const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "unknown";
  const workerd = spawnSync(workerdBinary(), ["--version"], { encoding: "utf8" }).stdout.trim();
  const pkg = (name: string) =>
    (
      JSON.parse(readFileSync(fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url)), "utf8")) as {
        version: string;
      }
    ).version;
  return {
    cpu: cpuModel,
    cores: cpus().length,
    date: new Date().toISOString(),
    node: process.version,
    workerd: `${workerd} (npm workerd ${pkg("workerd")})`,
    wrangler: pkg("wrangler"),
    load_average_at_start: loadavg().map((value) => Number(value.toFixed(2))),
  };
}

interface EndpointResult {
  key: string;
  name: string;
  floor: string;
  floor_note?: string;
  /** HTTP floor + parts, from the floor requests alternated with this endpoint's concurrency-1 requests. */
  floor_ms: number;
  /** The same from the floors measured before and after all endpoints (for comparison). */
  floor_ms_run: number;
  c1: Phase;
  c16: Phase;
  mysql_per_request: number;
  redis_per_request: number;
  cpu_ms_per_request: number;
  pbkdf2_cpu_ms: number;
  p50_over_floor: number;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

interface Measured {
  scenario: Scenario;
  c1: Phase;
  c16: Phase;
}

function combine({ scenario, c1, c16 }: Measured, parts: FloorParts): EndpointResult {
  const total = c1.requests + c16.requests;
  const perRequest = (get: (phase: Phase) => number) => round((get(c1) * c1.requests + get(c16) * c16.requests) / total);
  // The floor measured in the same moments as the endpoint (request by request in turn): other
  // load on the machine (it is shared) moves both alike.
  const floor = round(floorFromAlternated(scenario.floor, c1.alternated ?? {}));
  return {
    key: scenario.key,
    name: scenario.name,
    floor: describeFloor(scenario.floor),
    floor_note: scenario.floor.note,
    floor_ms: floor,
    floor_ms_run: floorMs(scenario.floor, parts),
    c1,
    c16,
    mysql_per_request: perRequest((phase) => phase.mysql_per_request),
    redis_per_request: perRequest((phase) => phase.redis_per_request),
    // Over both phases: the most requests, so the finest resolution of /proc's 10 ms ticks.
    cpu_ms_per_request: perRequest((phase) => phase.cpu_ms_per_request),
    pbkdf2_cpu_ms: round((scenario.floor.pbkdf2 ?? 0) * parts.pbkdf2_cpu_ms),
    p50_over_floor: round(c1.p50_ms / floor),
  };
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

function markdown(
  info: ReturnType<typeof machine>,
  parts: FloorParts,
  floorRuns: FloorRun[][],
  endpoints: EndpointResult[],
  bundle: BundleReport | undefined,
  startup: StartupReport | undefined,
): string {
  const lines: string[] = [];
  lines.push(
    `Machine: ${info.cpu}, ${info.cores} cores; ${info.date.slice(0, 10)}; Node ${info.node}; ${info.workerd}; ` +
      `wrangler ${info.wrangler}; load average at start ${info.load_average_at_start.join(" / ")}.`,
  );
  lines.push(
    `Requests per phase: ${requests} (cheap endpoints at ${concurrency}), ${serialRequests} (cheap at 1), ${heavyRequests} (PBKDF2 or one account per request). ` +
      `Added latency: MySQL ${dbLatencyMs} ms, Redis ${redisLatencyMs} ms per round trip.`,
  );
  lines.push("");
  lines.push(`| floor (floor worker) | p50@1 ms (before / after) | p99@1 ms | req/s@${concurrency} | CPU ms/req |`);
  lines.push("|---|---:|---:|---:|---:|");
  const [first] = floorRuns;
  for (const run of first ?? []) {
    const label = {
      empty: "empty response (HTTP)",
      pbkdf2: "PBKDF2-SHA256, 100,000 iterations",
      db: "SELECT 1 (PlanetScale protocol)",
      redis: "PING (Upstash protocol)",
      both: "SELECT 1 and PING concurrently",
    }[run.route];
    const p50s = floorRuns.map((runs) => runs.find((r) => r.route === run.route)?.c1.p50_ms ?? 0);
    lines.push(
      `| ${label} | ${p50s.map((v) => fixed(v, 2)).join(" / ")} | ${fixed(run.c1.p99_ms, 2)} | ${run.c16?.rps ?? ""} | ${fixed(run.cpu_ms_per_request, 2)} |`,
    );
  }
  lines.push("");
  lines.push(
    `Floor parts (p50 at 1, mean of the runs before / after): HTTP ${parts.http_ms} ms; + PBKDF2 ${parts.pbkdf2_ms} ms ` +
      `(${parts.pbkdf2_cpu_ms} ms CPU); + DB round trip ${parts.db_ms} ms; + Redis round trip ${parts.redis_ms} ms ` +
      `(both concurrently: + ${parts.both_ms} ms).`,
  );
  lines.push("");
  lines.push(
    `| endpoint | floor | floor ms | p50@1 | p99@1 | p50@${concurrency} | p99@${concurrency} | req/s@${concurrency} | MySQL/req | Redis/req | CPU ms/req (PBKDF2) | p50@1 / floor |`,
  );
  lines.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const e of endpoints) {
    const ratio = e.p50_over_floor > 1.3 ? `**${fixed(e.p50_over_floor, 2)}**` : fixed(e.p50_over_floor, 2);
    const cpu = e.pbkdf2_cpu_ms > 0 ? `${fixed(e.cpu_ms_per_request)} (${fixed(e.pbkdf2_cpu_ms)})` : fixed(e.cpu_ms_per_request);
    const failed = e.c1.failures + e.c16.failures > 0 ? ` ⚠ ${e.c1.failures + e.c16.failures} failed` : "";
    lines.push(
      `| ${e.name}${failed} | ${e.floor} | ${fixed(e.floor_ms)} | ${fixed(e.c1.p50_ms)} | ${fixed(e.c1.p99_ms)} | ${fixed(e.c16.p50_ms)} | ` +
        `${fixed(e.c16.p99_ms)} | ${e.c16.rps} | ${e.mysql_per_request} | ${e.redis_per_request} | ${cpu} | ${ratio} |`,
    );
  }
  if (bundle) {
    lines.push("");
    const kib = (bytes: number) => `${fixed(bytes / 1024)} KiB`;
    lines.push(
      `Bundle (wrangler deploy --dry-run --env production): ${kib(bundle.bytes)}, gzip ${kib(bundle.gzip_bytes)}. Largest: ` +
        bundle.largest
          .map((c) => `${c.package} ${kib(c.bytes)} (${c.share_pct}%, ≈${kib(c.gzip_alone_bytes)} gzipped alone)`)
          .join("; ") +
        ".",
    );
  }
  if (startup) {
    lines.push(
      `Startup (wrangler check startup, median of ${startup.runs_ms.length}): ${startup.active_ms} ms CPU (of which GC ${startup.gc_ms} ms); an empty worker between those runs ${startup.empty_worker_ms} ms: **${startup.over_empty_ms} ms over it** (runs: ${startup.runs_ms.join(", ")}; empty: ${startup.empty_runs_ms.join(", ")}).`,
    );
  }
  return `${lines.join("\n")}\n`;
}

async function main() {
  mkdirSync(dir, { recursive: true });
  const info = machine();
  console.log(
    `bench: ${selected.length} endpoints, ${requests} requests (${heavyRequests} heavy), latency db ${dbLatencyMs} / redis ${redisLatencyMs} ms`,
  );
  let bundle: BundleReport | undefined;
  let startup: StartupReport | undefined;
  if (!values["skip-startup"]) {
    // Before the servers start: nothing else of ours competes for the CPU.
    bundle = bundleReport(dir);
    startup = startupReport(dir);
    console.log(
      `bundle gzip ${(bundle.gzip_bytes / 1024).toFixed(1)} KiB; startup ${startup.active_ms} ms CPU, ${startup.over_empty_ms} ms over an empty worker`,
    );
  }

  const started = performance.now();
  for (const log of ["workerd.log", "floor-workerd.log"]) writeFileSync(join(dir, log), "");
  // Sign in with the dev OpenID provider: its port is chosen first (the worker's bindings name its
  // issuer), it starts once the worker's URL (its redirect URI) is known.
  const oidcPort = await freePort();
  const {
    stack,
    worker,
    stop: stopWorker,
  } = await startWorkerdOnStack(
    dir,
    {
      OAUTH_PROVIDERS: "dev",
      OAUTH_DEV_ISSUER: `http://127.0.0.1:${oidcPort}`,
      OAUTH_DEV_CLIENT_ID: DEV_OIDC_CLIENT.client_id,
      OAUTH_DEV_CLIENT_SECRET: DEV_OIDC_CLIENT.client_secret,
      OAUTH_REDIRECT_URIS: OAUTH_BENCH_REDIRECT,
    },
    { logFile: join(dir, "workerd.log") },
  );
  const oidc = await startDevOidcProvider({
    clients: [{ ...DEV_OIDC_CLIENT, redirect_uris: [`${worker.url}/auth/oauth/dev/callback`] }],
    port: oidcPort,
  });
  const stop = async () => {
    await oidc.close();
    await stopWorker();
  };
  const floorWorker = await startFloorWorker(stack, join(dir, "floor"), PBKDF2_ITERATIONS, join(dir, "floor-workerd.log")).catch(
    async (error: unknown) => {
      await stop();
      throw error;
    },
  );
  // On Ctrl-C the stack's own handler exits: the floor worker goes with this process.
  process.once("exit", () => {
    try {
      process.kill(floorWorker.pid, "SIGTERM");
    } catch {
      // Stopped already.
    }
  });
  const stopAll = async () => {
    await floorWorker.stop();
    await stop();
  };
  try {
    // Warm both isolates (module evaluation, JIT) before anything is timed.
    for (let i = 0; i < 30; i++) {
      await call(worker.url, { method: "GET", path: "/health" });
      await call(floorWorker.url, { method: "GET", path: "/db" });
      await call(floorWorker.url, { method: "GET", path: "/redis" });
    }
    const floorOptions = {
      routes: FLOOR_ROUTES,
      light: Math.min(serialRequests, 60),
      pbkdf2: Math.max(16, Math.round(heavyRequests / 2)),
      concurrency,
      quietMs,
    };
    const floorsBefore = await measureFloors(floorWorker, stack, floorOptions);
    const partsBefore = floorParts([floorsBefore]);
    console.log(
      `floors: HTTP ${partsBefore.http_ms} ms, PBKDF2 +${partsBefore.pbkdf2_ms} ms, DB +${partsBefore.db_ms} ms, Redis +${partsBefore.redis_ms} ms`,
    );

    const fixtures = new Fixtures(worker.url);
    const phases: Measured[] = [];
    for (const scenario of selected) {
      const t0 = performance.now();
      const alternate = alternateFor(scenario.floor, floorWorker.url);
      const run = async (clients: number, count: number) => {
        const load = await scenario.prepare(fixtures, count, clients);
        const full = { count, concurrency: clients, expect: scenario.expect, alternate, ...load };
        return measure(worker.url, worker.pid, stack, full, quietMs);
      };
      const c1 = await run(1, scenario.heavy ? heavyRequests : serialRequests);
      const c16 = await run(concurrency, scenario.heavy ? heavyRequests : requests);
      phases.push({ scenario, c1, c16 });
      const failures = [c1, c16].filter((phase) => phase.failures > 0);
      console.log(
        `${scenario.key.padEnd(16)} p50@1 ${c1.p50_ms} ms, p50@${concurrency} ${c16.p50_ms} ms, ${c16.rps} req/s, ` +
          `${c16.cpu_ms_per_request} ms CPU  (${((performance.now() - t0) / 1000).toFixed(1)} s)` +
          failures.map((phase) => `\n  ${phase.failures} failed: ${phase.firstFailure}`).join(""),
      );
    }

    const floorsAfter = await measureFloors(floorWorker, stack, floorOptions);
    const parts = floorParts([floorsBefore, floorsAfter]);
    const endpoints = phases.map((measured) => combine(measured, parts));
    const text = markdown(info, parts, [floorsBefore, floorsAfter], endpoints, bundle, startup);
    console.log(`\n${text}`);
    const options = { requests, heavyRequests, serialRequests, concurrency, dbLatencyMs, redisLatencyMs, only: only ?? null };
    const results = {
      machine: info,
      options,
      floors: { parts, before: floorsBefore, after: floorsAfter },
      endpoints,
      bundle,
      startup,
      seconds: round((performance.now() - started) / 1000, 1),
    };
    writeFileSync(join(dir, `results${latencyTag}.json`), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(dir, `results${latencyTag}.md`), text);
    console.log(`(.local/bench/results${latencyTag}.md and .json; ${results.seconds} s after the bundle and startup checks)`);
    const failed = endpoints.filter((e) => e.c1.failures + e.c16.failures > 0);
    if (failed.length > 0) {
      console.error(`answers other than the expected status: ${failed.map((e) => e.key).join(", ")}`);
      process.exitCode = 1;
    }
  } finally {
    await stopAll();
  }
}

main().catch((error) => {
  console.error(error instanceof MissingServerError ? error.message : error);
  process.exit(1);
});
