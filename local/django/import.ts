// npm run import:django -- --from mysql://USER:PASS@HOST:PORT/DB [--to URL] [--dry-run] [--batch N]
//   [--media DIR [--r2 local|remote] [--env production|preview] [--persist-to DIR] [--media-recheck]]
// Copies the original Django service's users into this service's database (DATABASE_URL unless
// --to names one; with neither it stops and prints the --to of npm run dev's database when that
// runs), and with --media their profile images into R2, and prints what it did.
// See docs/migrating-from-django.md.
import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import { devDatabaseHint } from "./dev-database.ts";
import { DEFAULT_BATCH, formatSummary, importDjangoUsers } from "./importer.ts";
import type { MediaOptions } from "./media.ts";

const USAGE = `usage: npm run import:django -- --from mysql://USER:PASS@HOST:PORT/DB [--to URL] [--dry-run] [--batch N]
         [--media DIR [--r2 local|remote] [--env production|preview] [--persist-to DIR] [--media-recheck]]
  --from           the original's MariaDB/MySQL database (tables account_myuser and profile_profile)
  --to             this service's database: mysql://... or PlanetScale https://...; default DATABASE_URL
                   (without either, it prints the --to of npm run dev's database when that runs)
  --dry-run        read everything, write nothing, print the same summary
  --batch N        source rows per page and per INSERT (default ${DEFAULT_BATCH})
  --media DIR      the original's media folder: copy imported accounts' profile images into R2
  --r2 local       (default) into the local bucket npm run dev uses (wrangler's .wrangler/state)
  --r2 remote      into the deployed bucket of --env (after npx wrangler login)
  --env ENV        production or preview; required with --r2 remote
  --persist-to DIR with --r2 local: wrangler's persistence directory instead of .wrangler/state
                   (default: the IMPORT_R2_PERSIST_TO environment variable, if set)
  --media-recheck  also accounts already present: copy their image if its object is missing
                   (one wrangler call per such account; repairs an interrupted run)`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let values: {
  from?: string;
  to?: string;
  "dry-run"?: boolean;
  batch?: string;
  media?: string;
  r2?: string;
  env?: string;
  "persist-to"?: string;
  "media-recheck"?: boolean;
  help?: boolean;
};
try {
  ({ values } = parseArgs({
    options: {
      from: { type: "string" },
      to: { type: "string" },
      "dry-run": { type: "boolean" },
      batch: { type: "string" },
      media: { type: "string" },
      r2: { type: "string" },
      env: { type: "string" },
      "persist-to": { type: "string" },
      "media-recheck": { type: "boolean" },
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
const to = values.to || process.env.DATABASE_URL || fail(`give --to, or set DATABASE_URL. ${await devDatabaseHint()}`);
const batch = values.batch === undefined ? DEFAULT_BATCH : Number(values.batch);
if (!Number.isInteger(batch) || batch < 1 || batch > 10_000) fail("--batch must be an integer from 1 to 10000");

function mediaOptions(): MediaOptions | undefined {
  const persistTo = values["persist-to"] ?? (process.env.IMPORT_R2_PERSIST_TO || undefined);
  if (values.media === undefined) {
    for (const flag of ["r2", "env", "persist-to", "media-recheck"] as const)
      if (values[flag] !== undefined) fail(`--${flag} needs --media`);
    return undefined;
  }
  if (!statSync(values.media, { throwIfNoEntry: false })?.isDirectory()) fail(`--media ${values.media} is not a directory`);
  const r2 = values.r2 ?? "local";
  if (r2 !== "local" && r2 !== "remote") fail("--r2 must be local or remote");
  const env = values.env;
  if (env !== undefined && env !== "production" && env !== "preview") fail("--env must be production or preview");
  if (r2 === "remote" && !env) fail("--r2 remote needs --env production or --env preview");
  if (r2 === "local" && env) fail("--env is for --r2 remote (the local bucket is the one npm run dev uses)");
  if (r2 === "remote" && values["persist-to"] !== undefined) fail("--persist-to is for --r2 local");
  return {
    dir: values.media,
    r2,
    env,
    persistTo: r2 === "local" ? persistTo : undefined,
    recheck: values["media-recheck"],
  };
}
const media = mediaOptions();

try {
  const summary = await importDjangoUsers({ from, to, dryRun: values["dry-run"], batch, media });
  console.log(formatSummary(summary));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  const hint = /users' doesn't exist/.test(message)
    ? " (apply this service's migrations first: npm run db:migrate)"
    : /^wrangler r2 /.test(message)
      ? " (the accounts written so far are kept; once fixed, run again with --media-recheck to copy their images)"
      : "";
  console.error(`import failed: ${message}${hint}`);
  process.exit(1);
}
