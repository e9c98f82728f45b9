// The tests are hermetic: a developer's .dev.vars (or .env) never reaches them. wrangler loads
// those files from the folder of the config it reads, so the vitest pool is given a copy of
// wrangler.toml in a folder of its own (vitest.config.ts). Checked with wrangler's own loader, the
// function the pool calls. Run by npm test (node --test).
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { hermeticWranglerConfig } from "./test-wrangler-config.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const project = mkdtempSync(join(tmpdir(), "hermetic-"));
after(() => rmSync(project, { recursive: true, force: true }));

copyFileSync(join(root, "wrangler.toml"), join(project, "wrangler.toml"));
// What a developer might have locally: settings that made 13 signup tests fail before.
writeFileSync(join(project, ".dev.vars"), "PASSWORD_MIN_LENGTH=64\nTURNSTILE_SECRET_KEY=local-only\n");
writeFileSync(join(project, ".env"), "PASSWORD_MIN_LENGTH=65\n");

const bindingsOf = (configPath: string) =>
  unstable_getMiniflareWorkerOptions(configPath).workerOptions.bindings as Record<string, unknown>;

describe("the tests' wrangler configuration", () => {
  it("is needed: wrangler.toml read in place picks up .dev.vars", () => {
    assert.equal(bindingsOf(join(project, "wrangler.toml")).PASSWORD_MIN_LENGTH, "64");
  });

  it("gives the tests wrangler.toml's values and nothing from .dev.vars or .env", () => {
    const bindings = bindingsOf(hermeticWranglerConfig(project));
    assert.equal(bindings.PASSWORD_MIN_LENGTH, "8");
    assert.equal(bindings.TURNSTILE_SECRET_KEY, undefined);
  });

  it("serves the same worker and assets as wrangler.toml", () => {
    const copy = unstable_getMiniflareWorkerOptions(hermeticWranglerConfig(project));
    const original = unstable_getMiniflareWorkerOptions(join(project, "wrangler.toml"));
    assert.equal(copy.main, original.main);
    assert.equal(copy.main, join(project, "src/index.ts"));
    assert.deepEqual(Object.keys(copy.workerOptions).sort(), Object.keys(original.workerOptions).sort());
  });
});
