import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("smoke", () => {
  it("health", async () => {
    const res = await exports.default.fetch(new Request("http://x/health"));
    expect(res.status).toBe(200);
    console.log(await res.json());
  });
});
