// The README is the front door: its table of error codes must be the service's own, code for code.
import { describe, expect, it } from "vitest";
import readme from "../README.md?raw";
import { ERROR_STATUS } from "../src/lib/errors.ts";

describe("README", () => {
  it("lists every error code with its status, and no other", () => {
    const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((match) => [match[1], Number(match[2])]);
    expect(Object.fromEntries(rows)).toEqual(ERROR_STATUS);
  });
});
