// The benchmark's measuring loop: a closed loop of `concurrency` clients, each request timed from
// send to the last byte of the answer; the protocol servers' counters give the round trips and
// /proc gives the CPU time the workerd process spent over the window.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { LocalStack } from "../stack.ts";

export interface Call {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Answer {
  status: number;
  ms: number;
  text: string;
}

export const json = (body: unknown) => ({ headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** Bearer headers, and a JSON body when one is given. */
export const authed = (token: string, body?: unknown) =>
  body === undefined
    ? { headers: bearer(token) }
    : { headers: { ...bearer(token), "content-type": "application/json" }, body: JSON.stringify(body) };

export async function call(base: string, request: Call): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${base}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - started, text };
}

/** The answer's `data`, or an error naming the call when the status is not the expected one. */
export async function expectData<T>(base: string, request: Call, status: number): Promise<T> {
  const answer = await call(base, request);
  if (answer.status !== status) {
    throw new Error(
      `${request.method} ${request.path} answered ${answer.status} (expected ${status}): ${answer.text.slice(0, 300)}`,
    );
  }
  return (JSON.parse(answer.text) as { data: T }).data;
}

/** Runs `task` over `items` with at most `limit` at a time (setup work, not measured). */
export async function inParallel<T, R>(items: T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i] as T, i);
    }),
  );
  return results;
}

const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout?.trim()) || 100;

/** CPU time (user + system, every thread) the process has used, in ms: utime + stime of /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at field 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

export interface Counters {
  db: number;
  redis: number;
}

export async function counters(stack: LocalStack): Promise<Counters> {
  const read = async (url: string) => ((await (await fetch(`${url}/__stats`)).json()) as { total: number }).total;
  const [db, redis] = await Promise.all([read(stack.planetscale.url), read(stack.upstash.url)]);
  return { db, redis };
}

export async function resetCounters(stack: LocalStack): Promise<void> {
  await fetch(`${stack.planetscale.url}/__stats/reset`, { method: "POST" });
  await fetch(`${stack.upstash.url}/__stats/reset`, { method: "POST" });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits for the work after the responses (waitUntil: last-login writes, security events, mail)
 * to land: until the counters stop moving for `quietMs` (at most 5 s).
 */
export async function settle(stack: LocalStack, quietMs: number): Promise<Counters> {
  let last = await counters(stack);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    await sleep(quietMs);
    const now = await counters(stack);
    if (now.db === last.db && now.redis === last.redis) return now;
    last = now;
  }
  return last;
}

export interface Phase {
  concurrency: number;
  requests: number;
  failures: number;
  /** The first unexpected answer, to say what went wrong. */
  firstFailure?: string;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  cpu_ms_per_request: number;
  mysql_per_request: number;
  redis_per_request: number;
  /** Latencies of the alternated requests (floor routes), by path. */
  alternated?: Record<string, number[]>;
}

/** Requests to another worker sent one after each measured request (concurrency 1 only). */
export interface Alternate {
  base: string;
  /** Taken in turn. */
  calls: Call[];
  /** The round trips each one makes, taken off the counters (they count every client alike). */
  trips: (call: Call) => Counters;
  /**
   * Waited before each request, the measured ones too (the same quiet start for both): the
   * endpoint's work after its response, on the same two cores, is done by then.
   */
  pauseMs: number;
}

export interface Load {
  count: number;
  concurrency: number;
  expect: number;
  request: (i: number, worker: number) => Call;
  /** Sees every answer (chains: the next refresh token, the next password). */
  after?: (answer: Answer, i: number, worker: number) => void;
  /**
   * Request by request in turn with these (concurrency 1): the floor measured in the same moments
   * as the endpoint, so drift of a shared machine hits both alike.
   */
  alternate?: Alternate;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

/**
 * One measured phase: counters reset, CPU read, `count` requests from `concurrency` clients,
 * then the work after the responses is waited for before the CPU and the counters are read.
 */
export async function measure(base: string, pid: number, stack: LocalStack, load: Load, quietMs: number): Promise<Phase> {
  // The setup's own work after its responses (last-login writes, mail) must not count here.
  await settle(stack, quietMs);
  await resetCounters(stack);
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let next = 0;
  const alternate = load.concurrency === 1 ? load.alternate : undefined;
  const alternated: Record<string, number[]> = {};
  const extra: Counters = { db: 0, redis: 0 };
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: load.concurrency }, async (_, worker) => {
      for (let i = next++; i < load.count; i = next++) {
        // Alternating: both kinds of request start from the same quiet state.
        if (alternate) await sleep(alternate.pauseMs);
        const request = load.request(i, worker);
        const answer = await call(base, request);
        latencies.push(answer.ms);
        if (answer.status !== load.expect) {
          failures++;
          firstFailure ??= `${request.method} ${request.path}: ${answer.status} ${answer.text.slice(0, 200)}`;
        }
        load.after?.(answer, i, worker);
        const other = alternate?.calls[i % alternate.calls.length];
        if (alternate && other) {
          await sleep(alternate.pauseMs);
          const floor = await call(alternate.base, other);
          if (floor.status >= 300) throw new Error(`alternated ${other.path} answered ${floor.status}`);
          alternated[other.path] = [...(alternated[other.path] ?? []), floor.ms];
          const trips = alternate.trips(other);
          extra.db += trips.db;
          extra.redis += trips.redis;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const counted = await settle(stack, quietMs);
  const trips = { db: counted.db - extra.db, redis: counted.redis - extra.redis };
  const cpu = cpuMs(pid) - cpuBefore;
  latencies.sort((a, b) => a - b);
  return {
    concurrency: load.concurrency,
    requests: load.count,
    failures,
    firstFailure,
    // With alternation the loop also waited for the floor requests: no throughput to speak of.
    rps: Math.round(load.count / seconds),
    p50_ms: round(percentile(latencies, 0.5)),
    p99_ms: round(percentile(latencies, 0.99)),
    mean_ms: round(latencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, latencies.length)),
    cpu_ms_per_request: round(cpu / load.count),
    mysql_per_request: round(trips.db / load.count),
    redis_per_request: round(trips.redis / load.count),
    ...(alternate ? { alternated } : {}),
  };
}
