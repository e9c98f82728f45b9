// The floors: local/bench/floor-worker.ts bundled by wrangler and served by plain workerd next to
// the product, against the same protocol servers, and measured with the same loop. An endpoint's
// floor is the HTTP floor plus the PBKDF2s and round trips it cannot avoid (scenarios.ts).
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LocalStack } from "../stack.ts";
import { bundleWorker, serveBundledWorker, wranglerCompatibility } from "../workerd-runner.ts";
import { type Alternate, type Call, measure, type Phase, percentile } from "./measure.ts";
import type { Floor } from "./scenarios.ts";

const workerSource = fileURLToPath(new URL("./floor-worker.ts", import.meta.url));

export type FloorRoute = "empty" | "pbkdf2" | "db" | "redis" | "both";

export async function startFloorWorker(stack: LocalStack, dir: string, iterations: number, logFile: string) {
  const compatibility = wranglerCompatibility();
  mkdirSync(dir, { recursive: true });
  const config = join(dir, "wrangler.toml");
  writeFileSync(
    config,
    [
      `name = "bench-floor"`,
      `main = ${JSON.stringify(workerSource)}`,
      `compatibility_date = ${JSON.stringify(compatibility.date)}`,
      `compatibility_flags = ${JSON.stringify(compatibility.flags)}`,
      "",
    ].join("\n"),
  );
  bundleWorker(join(dir, "build"), ["--config", config]);
  // Wrangler names the bundle after the entry; the workerd config embeds build/index.js.
  renameSync(join(dir, "build", "floor-worker.js"), join(dir, "build", "index.js"));
  return serveBundledWorker(
    {
      DATABASE_URL: stack.databaseUrl,
      UPSTASH_REDIS_REST_URL: stack.redisRestUrl,
      UPSTASH_REDIS_REST_TOKEN: stack.redisRestToken,
      PBKDF2_ITERATIONS: String(iterations),
    },
    dir,
    { readyPath: "/", logFile },
  );
}

export interface FloorRun {
  route: FloorRoute;
  c1: Phase;
  c16?: Phase;
  /** Over both phases: the most requests, the finest resolution of /proc's 10 ms ticks. */
  cpu_ms_per_request: number;
}

export const FLOOR_ROUTES: FloorRoute[] = ["empty", "db", "redis", "both", "pbkdf2"];

const floorCall = (route: FloorRoute): Call => ({ method: route === "pbkdf2" ? "POST" : "GET", path: `/${route}` });

/**
 * The floor routes an endpoint's floor is made of, to alternate with its requests: one after
 * each, in turn (PBKDF2, the noisiest and largest part, every other time).
 */
export function alternateFor(floor: Floor, floorUrl: string): Alternate {
  const light: FloorRoute[] = ["empty"];
  if (floor.db) light.push("db");
  if (floor.redis) light.push("redis");
  const routes = floor.pbkdf2 ? light.flatMap((route): FloorRoute[] => ["pbkdf2", route]) : light;
  return {
    base: floorUrl,
    calls: routes.map(floorCall),
    // Without latency, the work after a response (a few round trips) is over within this.
    pauseMs: 10,
    trips: (call) => ({ db: /^\/(db|both)$/.test(call.path) ? 1 : 0, redis: /^\/(redis|both)$/.test(call.path) ? 1 : 0 }),
  };
}

/** An endpoint's floor from the floor requests alternated with its own (p50 of each route). */
export function floorFromAlternated(floor: Floor, alternated: Record<string, number[]>): number {
  const p50 = (route: FloorRoute) =>
    percentile(
      [...(alternated[`/${route}`] ?? [])].sort((a, b) => a - b),
      0.5,
    );
  const http = p50("empty");
  const part = (route: FloorRoute) => (alternated[`/${route}`] ? p50(route) - http : 0);
  const parts = { http_ms: http, pbkdf2_ms: part("pbkdf2"), db_ms: part("db"), redis_ms: part("redis") };
  return floorMs(floor, { ...parts, both_ms: 0, pbkdf2_cpu_ms: 0, http_cpu_ms: 0 });
}

/**
 * Floor routes at concurrency 1 (latency) and, when `concurrency` is given, at that concurrency
 * too (throughput ceilings).
 */
export async function measureFloors(
  worker: { url: string; pid: number },
  stack: LocalStack,
  options: { routes: FloorRoute[]; light: number; pbkdf2: number; concurrency?: number; quietMs: number },
): Promise<FloorRun[]> {
  const runs: FloorRun[] = [];
  for (const route of options.routes) {
    const count = route === "pbkdf2" ? options.pbkdf2 : options.light;
    const method = route === "pbkdf2" ? "POST" : "GET";
    const load = (c: number, n: number) => ({
      count: n,
      concurrency: c,
      expect: 204,
      request: () => ({ method, path: `/${route}` }),
    });
    const c1 = await measure(worker.url, worker.pid, stack, load(1, count), options.quietMs);
    const c16 = options.concurrency
      ? await measure(worker.url, worker.pid, stack, load(options.concurrency, count * 2), options.quietMs)
      : undefined;
    const phases = c16 ? [c1, c16] : [c1];
    const requests = phases.reduce((sum, phase) => sum + phase.requests, 0);
    const cpu = phases.reduce((sum, phase) => sum + phase.cpu_ms_per_request * phase.requests, 0) / requests;
    runs.push({ route, c1, c16, cpu_ms_per_request: Number(cpu.toFixed(3)) });
  }
  return runs;
}

/** The HTTP floor and what each PBKDF2 / round trip adds to it (p50 at concurrency 1, averaged over the runs). */
export interface FloorParts {
  http_ms: number;
  pbkdf2_ms: number;
  db_ms: number;
  redis_ms: number;
  /** /db and /redis concurrently (measured, for comparison with max(DB, Redis)). */
  both_ms: number;
  /** CPU of one PBKDF2 in workerd (the /pbkdf2 route's CPU per request minus the empty one's). */
  pbkdf2_cpu_ms: number;
  http_cpu_ms: number;
}

export function floorParts(runsList: FloorRun[][]): FloorParts {
  const mean = (route: FloorRoute, value: (run: FloorRun) => number) => {
    const values = runsList.flatMap((runs) => runs.filter((run) => run.route === route).map(value));
    return values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length);
  };
  const p50 = (route: FloorRoute) => mean(route, (run) => run.c1.p50_ms);
  const cpu = (route: FloorRoute) => mean(route, (run) => run.cpu_ms_per_request);
  const http = p50("empty");
  const round = (value: number) => Number(value.toFixed(2));
  return {
    http_ms: round(http),
    pbkdf2_ms: round(p50("pbkdf2") - http),
    db_ms: round(p50("db") - http),
    redis_ms: round(p50("redis") - http),
    both_ms: round(p50("both") - http),
    pbkdf2_cpu_ms: round(cpu("pbkdf2") - cpu("empty")),
    http_cpu_ms: round(cpu("empty")),
  };
}

export function floorMs(floor: Floor, parts: FloorParts): number {
  const db = (floor.db ?? 0) * parts.db_ms;
  const redis = (floor.redis ?? 0) * parts.redis_ms;
  const trips = floor.concurrent ? Math.max(db, redis) : db + redis;
  return Number((parts.http_ms + (floor.pbkdf2 ?? 0) * parts.pbkdf2_ms + trips).toFixed(2));
}

export function describeFloor(floor: Floor): string {
  const parts = ["HTTP"];
  const times = (n: number | undefined, what: string) => {
    if (n) parts.push(n === 1 ? what : `${n}×${what}`);
  };
  times(floor.pbkdf2, "PBKDF2");
  if (floor.concurrent) parts.push("max(DB, Redis)");
  else {
    times(floor.db, "DB");
    times(floor.redis, "Redis");
  }
  return parts.join(" + ");
}
