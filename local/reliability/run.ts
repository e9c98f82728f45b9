// npm run test:reliability: the service tried as an attacker and an operator would, against the
// production bundle under workerd and the local stack (real MariaDB and Redis), with deadlines of
// 1 s on MySQL and Redis so faults show quickly. Phases:
//   fuzz    random methods, headers, content types and bodies at every route of /openapi.json,
//           against the production bundle under workerd and then against `npm run dev` (wrangler
//           dev, what developers run), which must still be alive and healthy afterwards
//   races   concurrent signups, refreshes, confirms, resets, and delete/update/login of one account
//   faults  each of MySQL, Redis and both protocol servers paused or killed under load, then back
//   flush   Redis loses its data: revoked tokens stay dead, live ones fail closed, login works
//   soak    mixed traffic at a fixed rate; memory of the worker process before and after
// Prints counts per phase and exits non-zero on any 5xx (outside a fault), hang, missing envelope,
// lost write or wrong race outcome.
//   npm run test:reliability -- [--fuzz N] [--soak-seconds S] [--only fuzz,races,faults,flush,soak]
//                               [--fuzz-targets workerd,dev]   (N requests for each target)
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startDevServer } from "../dev-server.ts";
import { MissingServerError } from "../stack.ts";
import { startWorkerdOnStack } from "../workerd-runner.ts";
import { type PhaseResult, send } from "./client.ts";
import { runFaults } from "./faults.ts";
import { runFlush } from "./flush.ts";
import { runFuzz } from "./fuzz.ts";
import { runRaces } from "./races.ts";
import { runSoak } from "./soak.ts";

const { values } = parseArgs({
  options: {
    fuzz: { type: "string" },
    "fuzz-targets": { type: "string" },
    "soak-seconds": { type: "string" },
    only: { type: "string" },
  },
});
const phases = new Set((values.only ?? "fuzz,races,faults,flush,soak").split(","));
const fuzzTargets = new Set((values["fuzz-targets"] ?? "workerd,dev").split(","));
const fuzzCount = Number(values.fuzz ?? 2000);
const dir = fileURLToPath(new URL("../../.local/reliability", import.meta.url));

async function main() {
  // Short store deadlines keep the fault phase quick. The hash cost is the configured minimum:
  // this suite measures protocol behaviour, not PBKDF2, and fifty 100,000-iteration hashes queued
  // in one local isolate take ~0.9 s of CPU, enough to push an INSERT past a 1 s deadline (on
  // Cloudflare concurrent requests spread over many isolates).
  const { stack, worker, stop } = await startWorkerdOnStack(dir, {
    DATABASE_TIMEOUT_MS: "1000",
    REDIS_TIMEOUT_MS: "1000",
    PBKDF2_ITERATIONS: "10000",
  });
  const context = { base: worker.url, stack, workerPid: worker.pid };
  const results: PhaseResult[] = [];
  try {
    if (phases.has("fuzz") && fuzzTargets.has("workerd")) results.push(await runFuzz(context, fuzzCount, "workerd"));
    if (phases.has("races")) results.push(await runRaces(context));
    if (phases.has("faults")) results.push(await runFaults(context));
    if (phases.has("flush")) results.push(await runFlush(context));
    if (phases.has("soak")) results.push(await runSoak(context, Number(values["soak-seconds"] ?? 60)));
  } finally {
    await stop();
  }
  if (phases.has("fuzz") && fuzzTargets.has("dev")) results.push(await fuzzDevServer());
  console.log("\n| phase | requests | statuses | 5xx but 503 | hangs | violations |");
  console.log("|---|---:|---|---:|---:|---:|");
  for (const { phase, tally, violations } of results) {
    const statuses = Object.entries(tally.toJSON())
      .map(([status, n]) => `${status}: ${n}`)
      .join(", ");
    console.log(`| ${phase} | ${tally.total} | ${statuses} | ${tally.serverErrors} | ${tally.hangs} | ${violations.length} |`);
  }
  for (const { phase, notes, violations } of results) {
    console.log(`\n${phase}: ${JSON.stringify(notes)}`);
    for (const violation of violations.slice(0, 20)) console.log(`  ✗ ${violation}`);
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
  const failed = results.reduce((sum, result) => sum + result.violations.length, 0);
  console.log(
    `\n${failed === 0 ? "reliability: all phases held" : `reliability: ${failed} violations`} (.local/reliability/results.json)`,
  );
  process.exitCode = failed === 0 ? 0 : 1;
}

/**
 * The fuzz against `npm run dev` as a developer runs it (its .dev.vars, its own local stack): every
 * rule of the workerd fuzz, and the dev server must still be running and healthy at the end.
 */
async function fuzzDevServer(): Promise<PhaseResult> {
  mkdirSync(dir, { recursive: true });
  const dev = await startDevServer(`${dir}/dev.log`);
  try {
    const result = await runFuzz({ base: dev.url }, fuzzCount, "npm run dev");
    const health = await send(dev.url, { path: "/health" });
    if (!dev.alive()) result.violations.push("npm run dev exited during the fuzz (.local/reliability/dev.log)");
    else if (health.status !== 200) result.violations.push(`npm run dev unhealthy after the fuzz: /health ${health.status}`);
    result.notes.aliveAfter = dev.alive() && health.status === 200;
    return result;
  } finally {
    await dev.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof MissingServerError ? error.message : error);
  process.exit(1);
});
