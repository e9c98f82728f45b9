// Third-party browser files the static pages use, copied from their pinned packages into
// public/ (served by Workers static assets, git-ignored): Swagger UI for /docs, and
// @simplewebauthn/browser for the passkeys demo at /examples/passkeys.html. Run before
// `wrangler dev` and `wrangler deploy`, so no page needs anything from the internet.
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const DOCS_ASSETS_DIR = fileURLToPath(new URL("../public/docs-assets", import.meta.url));
const EXAMPLES_VENDOR_DIR = fileURLToPath(new URL("../public/examples/vendor", import.meta.url));

/** [package, file in it, target directory, name there] */
const COPIES: [string, string, string, string][] = [
  ["swagger-ui-dist", "swagger-ui-bundle.js", DOCS_ASSETS_DIR, "swagger-ui-bundle.js"],
  ["swagger-ui-dist", "swagger-ui.css", DOCS_ASSETS_DIR, "swagger-ui.css"],
  ["@simplewebauthn/browser", "dist/bundle/index.umd.min.js", EXAMPLES_VENDOR_DIR, "simplewebauthn-browser.umd.min.js"],
];

export function copyDocsAssets(): void {
  for (const [pkg, file, dir, name] of COPIES) {
    // The installed package's folder (not every package exports its package.json to resolve).
    const source = fileURLToPath(new URL(`../node_modules/${pkg}`, import.meta.url));
    mkdirSync(dir, { recursive: true });
    copyFileSync(`${source}/${file}`, `${dir}/${name}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) copyDocsAssets();
