// The zod the worker bundles (src/lib/zod/): zod's classic API less its translations, its internals
// namespace and the JSON Schema converters. Every import of "zod" gets it, @hono/zod-openapi's too
// (its `z` is the one every route schema is built with), and nothing else is missing.
import { z as openApiZ } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import * as full from "zod/v4";
import * as bundled from "../src/lib/zod/index.ts";

const LEFT_OUT = ["locales", "core", "toJSONSchema", "fromJSONSchema"];

describe("the zod in the bundle", () => {
  it("is what every import of zod gets, @hono/zod-openapi's included", () => {
    expect(z).toBe(bundled.z);
    expect(openApiZ).toBe(bundled.z);
    expect(bundled.default).toBe(bundled.z);
    expect(typeof z.ZodType.prototype.openapi).toBe("function");
  });

  it("has every export of zod's classic API, the very same, but the parts left out", () => {
    const names = Object.keys(full).filter((name) => name !== "z" && name !== "default");
    expect(names.length).toBeGreaterThan(200);
    const lean = bundled.z as unknown as Record<string, unknown>;
    for (const name of names) {
      if (LEFT_OUT.includes(name)) expect(lean[name], name).toBeUndefined();
      else expect(lean[name], name).toBe((full as Record<string, unknown>)[name]);
    }
  });

  it("validates and reports in English, as zod does", () => {
    const result = z.object({ name: z.string().min(3), email: z.email() }).safeParse({ name: "a", email: "no" });
    expect(result.success).toBe(false);
    const messages = result.error?.issues.map((issue) => issue.message) ?? [];
    expect(messages).toEqual([
      expect.stringMatching(/^Too small: expected string to have >=3 characters$/),
      "Invalid email address",
    ]);
  });
});
