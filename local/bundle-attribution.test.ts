// The bench's bundle report attributes each byte of the minified bundle to a package through the
// source map (local/bench/bundle-attribution.ts). Run by npm test (node --test).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { codeBySource } from "./bench/bundle-attribution.ts";

const byPath = (source: string) => source;

describe("bundle attribution through the source map", () => {
  it("gives each mapped stretch to its source, across lines, with unmapped glue apart", () => {
    // Line 1: "var " is glue, "a=1;" comes from a.js (column 4), "b=2;" from b.ts (column 8).
    // Line 2: "c=3" is still b.ts (the source index carries over), "\n" ends line 1.
    // Segments [column, source, line, column deltas]: IAAA = +4, +0; ICAA = +4, +1; AAAA = 0, same source.
    const code = "var a=1;b=2;\nc=3";
    const parts = codeBySource(code, { sources: ["node_modules/a/a.js", "src/b.ts"], mappings: "IAAA,ICAA;AAAA" }, byPath);
    assert.deepEqual(Object.fromEntries(parts), { "(unmapped)": "var ", "node_modules/a/a.js": "a=1;", "src/b.ts": "b=2;\nc=3" });
  });

  it("reads multi-digit and negative deltas", () => {
    // "oB" is +20 in two digits (o carries on into B); "C" moves to source 1, "D" back by one.
    const code = `${"x".repeat(20)}${"y".repeat(20)}z`;
    const parts = codeBySource(code, { sources: ["one", "two"], mappings: "AAAA,oBCAA,oBDAA" }, byPath);
    assert.deepEqual(Object.fromEntries(parts), { one: `${"x".repeat(20)}z`, two: "y".repeat(20) });
  });

  it("refuses a map that is not base64 VLQ", () => {
    assert.throws(() => codeBySource("x", { sources: ["one"], mappings: "A!AA" }, byPath), /not a source map digit/);
  });
});
