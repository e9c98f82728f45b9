// The README is the front door: its table of error codes must be the service's own, code for code,
// and its API walkthrough must be local/walkthrough.sh (which CI runs) byte for byte.
import { describe, expect, it } from "vitest";
import walkthrough from "../local/walkthrough.sh?raw";
import readme from "../README.md?raw";
import { ERROR_STATUS } from "../src/lib/errors.ts";

describe("README", () => {
  it("lists every error code with its status, and no other", () => {
    const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((match) => [match[1], Number(match[2])]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
  });

  it("shows local/walkthrough.sh verbatim in the sh block under its Walkthrough heading", () => {
    const [, afterHeading] = readme.split(/^### Walkthrough\n/m);
    expect(afterHeading).toBeDefined();
    const block = afterHeading?.match(/^```sh\n([\s\S]*?)^```$/m)?.[1];
    expect(block).toBe(walkthrough);
  });
});
