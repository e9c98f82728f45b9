// For `npm run import:django` without --to: which URL names the database of `npm run dev`.
// npm run dev hands wrangler dev its settings in .local/dev.vars (local/dev.ts), DATABASE_URL
// included: the local stack's PlanetScale protocol server (a new port and password each run), or
// the DATABASE_URL of .dev.vars. The importer never writes there unasked; it prints the --to to pass.
import { fileURLToPath } from "node:url";
import { readDevVars } from "../dev-vars.ts";

const DEV_VARS = fileURLToPath(new URL("../../.local/dev.vars", import.meta.url));

/** Whether the local PlanetScale protocol server at `url` answers (its request counters). */
async function answers(url: URL): Promise<boolean> {
  const stats = await fetch(`${url.origin}/__stats`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
  return stats?.ok === true;
}

/** One or two lines saying what to pass as --to to import into npm run dev's database. */
export async function devDatabaseHint(): Promise<string> {
  const url = readDevVars(DEV_VARS).DATABASE_URL;
  if (!url) return "To import into the database of npm run dev: start npm run dev, then run this again to see its URL.";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "To import into the database of npm run dev: pass the DATABASE_URL of your .dev.vars as --to.";
  }
  if (!["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)) {
    parsed.password = parsed.password ? "***" : "";
    return `npm run dev uses the DATABASE_URL of your .dev.vars (${parsed.href}): pass that URL as --to to import there.`;
  }
  if (await answers(parsed)) return `npm run dev is running; to import into its database, add:\n  --to '${url}'`;
  return "npm run dev is not running (.local/dev.vars holds the URL of its last run, now gone): start npm run dev, then run this again to see its URL.";
}
