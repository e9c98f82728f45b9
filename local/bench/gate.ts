// The performance gate: the bench's JSON (.local/bench/results.json) against local/bench/budgets.json.
// Fails on round trips over an endpoint's budget, CPU per request over its ratio to the floor
// worker's PBKDF2 measured in the same run, a bundle over its gzip size, or a startup whose CPU over
// an empty worker's (started between its runs) is over its budget.
// The yardstick is PBKDF2 (100,000 iterations of SHA-256: pure computation, steady to a few
// percent) rather than the empty response, whose CPU per request swings 3x between runs on a
// shared machine: it says how fast this machine is right now, which is what a ratio has to cancel. `npm run bench:gate` runs a quick bench of the budgeted endpoints first (about 40 s).

export interface EndpointBudget {
  mysql: number;
  redis: number;
  cpu_over_pbkdf2: number;
}

export interface Budgets {
  endpoints: Record<string, EndpointBudget>;
  round_trip_tolerance: number;
  bundle_gzip_kib: number;
  startup_over_empty_ms: number;
}

/** What the gate reads of the bench's results. */
export interface BenchResults {
  floors: { parts: { pbkdf2_cpu_ms: number } };
  endpoints: { key: string; mysql_per_request: number; redis_per_request: number; cpu_ms_per_request: number }[];
  bundle?: { gzip_bytes: number } | null;
  startup?: { over_empty_ms: number } | null;
}

export interface GateRow {
  check: string;
  measured: number;
  limit: number;
  ok: boolean;
}

/** The floor worker's PBKDF2 CPU per request in this run (ms). */
export function floorCpuMs(results: BenchResults): number {
  const ms = results.floors.parts.pbkdf2_cpu_ms;
  if (!(ms > 0)) throw new Error("the results hold no floor PBKDF2 CPU");
  return ms;
}

const round = (value: number) => Math.round(value * 100) / 100;

export function gate(results: BenchResults, budgets: Budgets): GateRow[] {
  const rows: GateRow[] = [];
  const floor = floorCpuMs(results);
  for (const [key, budget] of Object.entries(budgets.endpoints)) {
    const measured = results.endpoints.find((endpoint) => endpoint.key === key);
    if (!measured) {
      rows.push({ check: `${key}: measured`, measured: 0, limit: 1, ok: false });
      continue;
    }
    const tolerance = budgets.round_trip_tolerance;
    rows.push({
      check: `${key}: MySQL round trips`,
      measured: measured.mysql_per_request,
      limit: budget.mysql,
      ok: measured.mysql_per_request <= budget.mysql + tolerance,
    });
    rows.push({
      check: `${key}: Redis round trips`,
      measured: measured.redis_per_request,
      limit: budget.redis,
      ok: measured.redis_per_request <= budget.redis + tolerance,
    });
    const ratio = Math.round((measured.cpu_ms_per_request / floor) * 1000) / 1000;
    rows.push({
      check: `${key}: CPU / PBKDF2`,
      measured: ratio,
      limit: budget.cpu_over_pbkdf2,
      ok: ratio <= budget.cpu_over_pbkdf2,
    });
  }
  if (results.bundle) {
    const kib = round(results.bundle.gzip_bytes / 1024);
    rows.push({ check: "bundle gzip KiB", measured: kib, limit: budgets.bundle_gzip_kib, ok: kib <= budgets.bundle_gzip_kib });
  } else rows.push({ check: "bundle gzip KiB: measured", measured: 0, limit: 1, ok: false });
  if (results.startup) {
    const ms = results.startup.over_empty_ms;
    const limit = budgets.startup_over_empty_ms;
    rows.push({ check: "startup CPU ms over an empty worker", measured: ms, limit, ok: ms <= limit });
  } else rows.push({ check: "startup CPU ms over an empty worker: measured", measured: 0, limit: 1, ok: false });
  return rows;
}

export function gateTable(rows: GateRow[], floor: number): string {
  const lines = [
    `floor worker, one PBKDF2: ${round(floor)} CPU ms/request`,
    "",
    "| check | measured | limit | |",
    "|---|---:|---:|---|",
  ];
  for (const row of rows) lines.push(`| ${row.check} | ${row.measured} | ${row.limit} | ${row.ok ? "ok" : "**over**"} |`);
  return lines.join("\n");
}
