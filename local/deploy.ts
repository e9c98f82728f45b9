// npm run deploy [-- --env preview] [-- <wrangler deploy options>] -- deploys only when the target
// database has every committed migration. A Worker whose code expects a column the database does
// not have answers 500s from its first request; this refuses before that can happen.
//
// The database is named by DATABASE_URL (the same value as the Worker's secret: secrets cannot
// be read back from Cloudflare). --skip-migration-check deploys without looking (say why).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Client } from "@planetscale/database";
import { copyDocsAssets } from "./docs-assets.ts";
import { MIGRATIONS_FOLDER } from "./migrate.ts";

interface JournalEntry {
  tag: string;
  when: number;
}

/** Migrations the database has not applied: drizzle applies those newer than the last it recorded. */
export function pendingMigrations(journal: JournalEntry[], lastAppliedAt: number | null): JournalEntry[] {
  return journal.filter((entry) => lastAppliedAt === null || entry.when > lastAppliedAt);
}

async function lastAppliedAt(databaseUrl: string): Promise<number | null> {
  const client = new Client({ url: databaseUrl });
  try {
    const result = await client.execute("SELECT MAX(created_at) AS last FROM __drizzle_migrations");
    const last = (result.rows[0] as { last?: unknown } | undefined)?.last;
    return last === null || last === undefined ? null : Number(last);
  } catch (error) {
    // No migrations table: nothing was ever applied.
    if (String(error).includes("__drizzle_migrations") && /doesn't exist|not exist/i.test(String(error))) return null;
    throw error;
  }
}

// Our two options; everything else goes to `wrangler deploy` as given (e.g. --dry-run --outdir D).
const { values, tokens } = parseArgs({
  options: { env: { type: "string", default: "production" }, "skip-migration-check": { type: "boolean", default: false } },
  allowPositionals: true,
  strict: false,
  tokens: true,
});
const ours = new Set(["env", "skip-migration-check"]);
const passThrough = tokens.flatMap((token) => {
  if (token.kind === "positional") return [token.value];
  if (token.kind === "option" && !ours.has(token.name))
    return [token.rawName, ...(token.inlineValue ? [] : token.value ? [token.value] : [])];
  return [];
});
const environment = String(values.env);

if (!values["skip-migration-check"]) {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl || !/^https?:\/\//.test(databaseUrl)) {
    console.error(
      `Set DATABASE_URL to the ${environment} database (https://user:password@host, the Worker's secret) so its migrations can be checked, or pass --skip-migration-check.`,
    );
    process.exit(2);
  }
  const journal = (JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, "utf8")) as { entries: JournalEntry[] })
    .entries;
  const pending = pendingMigrations(journal, await lastAppliedAt(databaseUrl));
  if (pending.length > 0) {
    console.error(
      `${new URL(databaseUrl).host} lacks ${pending.length} migration(s): ${pending.map((entry) => entry.tag).join(", ")}`,
    );
    console.error("Apply them first (npm run db:migrate, or a PlanetScale deploy request), then deploy.");
    process.exit(1);
  }
  console.log(`${new URL(databaseUrl).host} has all ${journal.length} migrations.`);
}

copyDocsAssets();
const wrangler = spawnSync("npx", ["wrangler", "deploy", "--env", environment, ...passThrough], { stdio: "inherit" });
process.exit(wrangler.status ?? 1);
