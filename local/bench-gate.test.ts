// The performance gate (local/bench/gate.ts, npm run bench:gate in CI) must fail on a regression:
// a second Redis call on the token check, a heavier hot path, a bigger bundle, a slower startup,
// an endpoint that was not measured. Checked on results shaped as the bench writes them, and once
// through the command itself. Run by npm test (node --test).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type BenchResults, type Budgets, gate } from "./bench/gate.ts";
import { SCENARIOS } from "./bench/scenarios.ts";

const budgets = JSON.parse(readFileSync(fileURLToPath(new URL("./bench/budgets.json", import.meta.url)), "utf8")) as Budgets;

/** Results as a healthy run writes them: every budgeted endpoint at its round trips, CPU half its limit. */
function healthyRun(): BenchResults {
  return {
    floors: { parts: { pbkdf2_cpu_ms: 20 } },
    endpoints: Object.entries(budgets.endpoints).map(([key, budget]) => ({
      key,
      mysql_per_request: budget.mysql,
      redis_per_request: budget.redis + 0.01,
      cpu_ms_per_request: 20 * (budget.cpu_over_pbkdf2 / 2),
    })),
    bundle: { gzip_bytes: (budgets.bundle_gzip_kib - 50) * 1024 },
    startup: { over_empty_ms: budgets.startup_over_empty_ms / 2 },
  };
}

const failed = (results: BenchResults) =>
  gate(results, budgets)
    .filter((row) => !row.ok)
    .map((row) => row.check);

function endpoint(results: BenchResults, key: string) {
  const found = results.endpoints.find((item) => item.key === key);
  assert.ok(found, key);
  return found;
}

describe("the performance gate", () => {
  it("passes a run within every budget", () => {
    assert.deepEqual(failed(healthyRun()), []);
  });

  it("fails a second Redis round trip on the token check", () => {
    const run = healthyRun();
    endpoint(run, "check").redis_per_request = 2;
    assert.deepEqual(failed(run), ["check: Redis round trips"]);
  });

  it("fails a MySQL read added to the profile, and a hot path that got heavier, as a ratio to the floor", () => {
    const run = healthyRun();
    endpoint(run, "profile").mysql_per_request = 2;
    endpoint(run, "get-access").cpu_ms_per_request *= 3;
    assert.deepEqual(failed(run).sort(), ["get-access: CPU / PBKDF2", "profile: MySQL round trips"]);
  });

  it("judges CPU against the floor measured in the same run: a slower machine moves both", () => {
    const run = healthyRun();
    run.floors.parts.pbkdf2_cpu_ms *= 3;
    for (const item of run.endpoints) item.cpu_ms_per_request *= 3;
    assert.deepEqual(failed(run), []);
  });

  it("fails a bigger bundle, a slower startup, and an endpoint the run did not measure", () => {
    const run = healthyRun();
    run.bundle = { gzip_bytes: (budgets.bundle_gzip_kib + 1) * 1024 };
    run.startup = { over_empty_ms: budgets.startup_over_empty_ms + 1 };
    run.endpoints = run.endpoints.filter((item) => item.key !== "countries");
    assert.deepEqual(failed(run), ["countries: measured", "bundle gzip KiB", "startup CPU ms over an empty worker"]);
  });

  it("budgets only endpoints the bench knows", () => {
    const known = new Set(SCENARIOS.map((scenario) => scenario.key));
    for (const key of Object.keys(budgets.endpoints)) assert.ok(known.has(key), `${key} is no bench scenario`);
  });

  it("npm run bench:gate exits 1 on a regressed run and 0 on a healthy one", () => {
    const dir = mkdtempSync(join(tmpdir(), "gate-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const script = fileURLToPath(new URL("./bench-gate.ts", import.meta.url));
    const runGate = (results: BenchResults) => {
      const file = join(dir, "results.json");
      writeFileSync(file, JSON.stringify(results));
      return spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", script, "--results", file], {
        encoding: "utf8",
      });
    };
    const healthy = runGate(healthyRun());
    assert.equal(healthy.status, 0, healthy.stdout + healthy.stderr);
    const regressed = healthyRun();
    endpoint(regressed, "check").redis_per_request = 2;
    const refused = runGate(regressed);
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /check: Redis round trips/);
  });
});
