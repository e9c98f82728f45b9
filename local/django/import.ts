// npm run import:django -- --from mysql://USER:PASS@HOST:PORT/DB [--to URL] [--dry-run] [--batch N]
// Copies the original Django service's users into this service's database (DATABASE_URL unless
// --to names one) and prints what it did. See docs/migrating-from-django.md.
import { parseArgs } from "node:util";
import { DEFAULT_BATCH, formatSummary, importDjangoUsers } from "./importer.ts";

const USAGE = `usage: npm run import:django -- --from mysql://USER:PASS@HOST:PORT/DB [--to URL] [--dry-run] [--batch N]
  --from     the original's MariaDB/MySQL database (tables account_myuser and profile_profile)
  --to       this service's database: mysql://... or PlanetScale https://...; default DATABASE_URL
  --dry-run  read everything, write nothing, print the same summary
  --batch N  source rows per page and per INSERT (default ${DEFAULT_BATCH})`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let values: { from?: string; to?: string; "dry-run"?: boolean; batch?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      from: { type: "string" },
      to: { type: "string" },
      "dry-run": { type: "boolean" },
      batch: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: false,
  }));
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const from = values.from ?? fail("--from is required");
if (!from.startsWith("mysql://")) fail("--from must be a mysql:// URL");
const to = values.to || process.env.DATABASE_URL || fail("give --to, or set DATABASE_URL");
const batch = values.batch === undefined ? DEFAULT_BATCH : Number(values.batch);
if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) fail("--batch must be an integer from 1 to 10000");

try {
  const summary = await importDjangoUsers({ from, to, dryRun: values["dry-run"], batch });
  console.log(formatSummary(summary));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  const hint = /users' doesn't exist/.test(message) ? " (apply this service's migrations first: npm run db:migrate)" : "";
  console.error(`import failed: ${message}${hint}`);
  process.exit(1);
}
