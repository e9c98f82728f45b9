// The README is the front door and docs/ the reference; this keeps both honest: the README stays
// short, every relative link (and #anchor) in README.md and docs/*.md leads somewhere, the error
// table of docs/api.md is the service's own, code for code, and docs/walkthrough.md shows
// local/walkthrough.sh (which CI runs) byte for byte.
import { describe, expect, it } from "vitest";
import walkthrough from "../local/walkthrough.sh?raw";
import { ERROR_STATUS } from "../src/lib/errors.ts";

declare global {
  interface ImportMeta {
    /** Vite's glob import: matching files by path from the repository root. */
    glob<T = unknown>(patterns: string[], options?: { query?: string; import?: string; eager?: boolean }): Record<string, T>;
  }
}

// Path from the repository root ("/README.md") → text.
const markdown = import.meta.glob<string>(["/README.md", "/docs/*.md"], { query: "?raw", import: "default", eager: true });
// Every file of the repository (not loaded: only the names are used). A glob never lists the file
// that holds it, so this one is added by name.
const files = new Set(
  Object.keys(
    import.meta.glob([
      "/**/*",
      "/.ci/**/*",
      "/.github/**/*",
      "/.dev.vars.example",
      "/.nvmrc",
      "/.node-version",
      "!/node_modules/**",
      "!/.local/**",
      "!/.wrangler/**",
    ]),
  ),
).add("/test/docs.test.ts");

function text(path: string): string {
  const found = markdown[path];
  if (found === undefined) throw new Error(`${path} was not read`);
  return found;
}

/** The text outside fenced code blocks: links and headings in examples do not count. */
const prose = (source: string) => source.replace(/^```[\s\S]*?^```$/gm, "");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as dashes. */
const anchor = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

function anchorsOf(path: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of prose(text(path)).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = anchor(match[1] ?? "");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** `dir` + `relative`, normalised; null when it leaves the repository. */
function resolve(dir: string, relative: string): string | null {
  const parts = dir.split("/").filter(Boolean);
  for (const part of relative.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

describe("README.md and docs/", () => {
  it("reads the README and every docs page", () => {
    expect(Object.keys(markdown)).toContain("/README.md");
    expect(Object.keys(markdown)).toContain("/docs/README.md");
    expect(Object.keys(markdown).length).toBeGreaterThan(8);
  });

  it("keeps the README to at most 300 lines", () => {
    expect(text("/README.md").trimEnd().split("\n").length).toBeLessThanOrEqual(300);
  });

  it("has every relative link lead to a file or folder of the repository, and every #anchor to a heading", () => {
    const broken: string[] = [];
    for (const path of Object.keys(markdown)) {
      const dir = path.slice(0, path.lastIndexOf("/"));
      for (const match of prose(text(path)).matchAll(/\]\(([^)\s]+)\)/g)) {
        const link = match[1] ?? "";
        if (/^[a-z][a-z+.-]*:/i.test(link)) continue; // https:, mailto:
        const [target = "", fragment] = link.split("#");
        const resolved = target === "" ? path : resolve(dir, target);
        const exists =
          resolved !== null &&
          (files.has(resolved) || [...files].some((file) => file.startsWith(`${resolved.replace(/\/$/, "")}/`)));
        if (!exists) broken.push(`${path}: ${link} (no such file)`);
        else if (fragment && resolved?.endsWith(".md") && !anchorsOf(resolved).has(fragment))
          broken.push(`${path}: ${link} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("lists every error code with its status in docs/api.md, and no other", () => {
    const rows = [...text("/docs/api.md").matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((match) => [
      match[1],
      Number(match[2]),
    ]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
  });

  it("shows local/walkthrough.sh verbatim in docs/walkthrough.md, in the sh block under its heading", () => {
    const [, afterHeading] = text("/docs/walkthrough.md").split(/^## The script\n/m);
    expect(afterHeading).toBeDefined();
    const block = afterHeading?.match(/^```sh\n([\s\S]*?)^```$/m)?.[1];
    expect(block).toBe(walkthrough);
  });
});
