// npm run bench:gate: a quick bench of the budgeted endpoints (with the bundle and startup checks),
// then the gate (local/bench/gate.ts) on its JSON. Exits 1 when any check is over its budget.
//   npm run bench:gate [-- --results PATH]   (with --results: only the gate, on an existing JSON)
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BenchResults, type Budgets, floorCpuMs, gate, gateTable } from "./bench/gate.ts";

const { values } = parseArgs({ options: { results: { type: "string" } } });
const budgets = JSON.parse(readFileSync(fileURLToPath(new URL("./bench/budgets.json", import.meta.url)), "utf8")) as Budgets;
let resultsPath = values.results;
if (!resultsPath) {
  const only = Object.keys(budgets.endpoints).join(",");
  const bench = spawnSync(
    process.execPath,
    [
      "--disable-warning=ExperimentalWarning",
      fileURLToPath(new URL("./bench.ts", import.meta.url)),
      "--quick",
      "--requests",
      "120",
      "--only",
      only,
    ],
    {
      stdio: "inherit",
    },
  );
  if (bench.status !== 0) process.exit(bench.status ?? 1);
  resultsPath = fileURLToPath(new URL("../.local/bench/results.json", import.meta.url));
}
const results = JSON.parse(readFileSync(resultsPath, "utf8")) as BenchResults;
const rows = gate(results, budgets);
console.log(`\n${gateTable(rows, floorCpuMs(results))}\n`);
const over = rows.filter((row) => !row.ok);
if (over.length > 0) {
  console.log(`performance gate: ${over.length} over budget (${over.map((row) => row.check).join("; ")})`);
  process.exit(1);
}
console.log("performance gate: every check within budget");
