// .dev.vars: the worker's local secrets (git-ignored). Missing ones are generated on first run.
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { generateSigningKey } from "../src/lib/signing-keys.ts";

/** Secrets `npm run dev` can make up for itself; everything else is optional or has a default. */
const GENERATED: Record<string, () => Promise<string>> = {
  PASSWORD_PEPPER: async () => randomBytes(32).toString("base64url"),
  TOTP_ENCRYPTION_KEY: async () => randomBytes(32).toString("base64"),
  JWT_PRIVATE_KEY: async () => JSON.stringify((await generateSigningKey()).privateJwk),
};

/** Single quotes keep a value literal in dotenv files (JSON keys are full of double quotes). */
export function dotenvValue(value: string): string {
  if (/^[\w.+/=:@,-]*$/.test(value)) return value;
  if (!value.includes("'") && !value.includes("\n")) return `'${value}'`;
  return JSON.stringify(value);
}

export function readDevVars(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  return parseEnv(readFileSync(path, "utf8")) as Record<string, string>;
}

/** Appends a generated value for every missing secret; returns the names it generated. */
export async function ensureDevVars(path: string): Promise<string[]> {
  const current = readDevVars(path);
  const missing = Object.keys(GENERATED).filter((name) => !current[name]);
  if (missing.length === 0) return [];
  const header = existsSync(path)
    ? ""
    : "# Local secrets for `wrangler dev` (git-ignored). See .dev.vars.example for every variable.\n" +
      "# Leave DATABASE_URL / UPSTASH_* unset to use the local stack that `npm run dev` starts.\n";
  const values = await Promise.all(missing.map(async (name) => `${name}=${dotenvValue((await GENERATED[name]?.()) ?? "")}`));
  const lines = values.join("\n");
  const existing = existsSync(path) ? readFileSync(path, "utf8") : "";
  writeFileSync(path, `${existing}${existing && !existing.endsWith("\n") ? "\n" : ""}${header}${lines}\n`);
  chmodSync(path, 0o600);
  return missing;
}

export function writeEnvFile(path: string, vars: Record<string, string>): void {
  const text = Object.entries(vars)
    .map(([name, value]) => `${name}=${dotenvValue(value)}`)
    .join("\n");
  writeFileSync(path, `${text}\n`, { mode: 0o600 });
}
