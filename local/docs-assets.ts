// The /docs page's Swagger UI files, copied from the pinned swagger-ui-dist package into
// public/docs-assets/ (served by Workers static assets, git-ignored). Run before `wrangler dev`
// and `wrangler deploy` so the page needs nothing from the internet.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const FILES = ["swagger-ui-bundle.js", "swagger-ui.css"];
export const DOCS_ASSETS_DIR = fileURLToPath(new URL("../public/docs-assets", import.meta.url));

export function copyDocsAssets(): void {
  const source = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  mkdirSync(DOCS_ASSETS_DIR, { recursive: true });
  for (const file of FILES) copyFileSync(`${source}/${file}`, `${DOCS_ASSETS_DIR}/${file}`);
}

if (import.meta.url === `file://${process.argv[1]}`) copyDocsAssets();
