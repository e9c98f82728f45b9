import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { api, buildRequest, expectFailure, readResponse } from "./helpers.ts";

// A port nothing listens on: connections are refused at once.
const DEAD = "http://127.0.0.1:9";

async function healthWith(overrides: Record<string, string>) {
  const app = createApp();
  return readResponse(await app.fetch(buildRequest("GET", "/health"), { ...env, ...overrides }));
}

describe("GET /health", () => {
  it("answers 200 when MySQL and Redis answer", async () => {
    const res = await api("GET", "/health/");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: "health ok", data: { db: "ok", redis: "ok" }, error: null });
  });

  it("answers 503 naming the database when its endpoint is down", async () => {
    const res = await healthWith({ DATABASE_URL: `http://local:secret@127.0.0.1:9` });
    const details = expectFailure(res, 503, "SERVICE_UNAVAILABLE");
    expect(details).toEqual({ db: ["unreachable"] });
    expect(res.body.message).toBe("health failed");
  });

  it("answers 503 naming Redis when its endpoint is down", async () => {
    const res = await healthWith({ UPSTASH_REDIS_REST_URL: DEAD });
    expect(expectFailure(res, 503, "SERVICE_UNAVAILABLE")).toEqual({ redis: ["unreachable"] });
  });

  it("answers 503 naming both when both are down, or credentials are wrong", async () => {
    const res = await healthWith({
      UPSTASH_REDIS_REST_TOKEN: "wrong-token",
      DATABASE_URL: String(env.DATABASE_URL).replace(/:[^:@/]+@/, ":wrong@"),
    });
    expect(expectFailure(res, 503, "SERVICE_UNAVAILABLE")).toEqual({ db: ["unreachable"], redis: ["unreachable"] });
  });
});
