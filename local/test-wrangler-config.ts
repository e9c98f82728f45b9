// The tests' wrangler configuration: wrangler.toml as it is, in a folder of its own. wrangler
// (and so the vitest pool) loads `.dev.vars`, or else `.env`, from the folder of the config it is
// given, with no option to turn that off; a developer's local settings there (a longer minimum
// password, a Turnstile key) would otherwise reach every test. The copy's relative paths are made
// absolute so it builds and serves the same worker.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Paths in wrangler.toml that wrangler resolves against the config's own folder. */
const RELATIVE_PATH_KEYS = ["main", "directory"];

/** Writes `<outDir>/wrangler.toml` from `<root>/wrangler.toml` and returns its path. */
export function hermeticWranglerConfig(root: string, outDir = join(root, ".local/test-worker")): string {
  const source = readFileSync(join(root, "wrangler.toml"), "utf8");
  let rewritten = 0;
  const copy = source.replace(/^(\s*)(\w+)(\s*=\s*)"([^"]+)"/gm, (line, indent, key, equals, value) => {
    if (!RELATIVE_PATH_KEYS.includes(key)) return line;
    rewritten++;
    return `${indent}${key}${equals}${JSON.stringify(resolve(root, value))}`;
  });
  if (rewritten !== RELATIVE_PATH_KEYS.length) {
    throw new Error(`wrangler.toml: expected one each of ${RELATIVE_PATH_KEYS.join(", ")}, rewrote ${rewritten} paths`);
  }
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, "wrangler.toml");
  writeFileSync(path, `# Generated from wrangler.toml for the tests (local/test-wrangler-config.ts): do not edit.\n${copy}`);
  return path;
}
