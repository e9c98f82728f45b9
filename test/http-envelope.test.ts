import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app.ts";
import { api, buildRequest, expectFailure, readResponse, signupBody } from "./helpers.ts";

describe("the JSON envelope on every response", () => {
  it("404 NOT_FOUND for an unknown route", async () => {
    const res = await api("GET", "/no/such/route/");
    expectFailure(res, 404, "NOT_FOUND");
    expect(res.body.message).toBe("not found");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("405 METHOD_NOT_ALLOWED with Allow for a known path and the wrong method", async () => {
    for (const path of ["/auth/user/signup/", "/auth/user/signup"]) {
      const res = await api("GET", path);
      expectFailure(res, 405, "METHOD_NOT_ALLOWED");
      expect(res.body.message).toBe("method not allowed");
      expect(res.headers.get("allow")).toBe("POST");
    }
    const health = await api("DELETE", "/health");
    expectFailure(health, 405, "METHOD_NOT_ALLOWED");
    expect(health.headers.get("allow")).toBe("GET, HEAD");
  });

  it("413 PAYLOAD_TOO_LARGE for a body over 64 KiB, before parsing it", async () => {
    const huge = JSON.stringify({ ...signupBody(), first_name: "x".repeat(70 * 1024) });
    const res = await api("POST", "/auth/user/signup/", { body: huge, headers: { "content-type": "application/json" } });
    expectFailure(res, 413, "PAYLOAD_TOO_LARGE");
    expect(res.body.message).toBe("payload too large");
  });

  it("413 also for an oversized body that is not even JSON", async () => {
    const res = await api("POST", "/auth/user/signup/", {
      body: "{".repeat(65 * 1024 + 1),
      headers: { "content-type": "application/json" },
    });
    expectFailure(res, 413, "PAYLOAD_TOO_LARGE");
  });

  it("415 UNSUPPORTED_MEDIA_TYPE for a body that is not JSON", async () => {
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await api("POST", "/auth/user/signup/", { body: "username=a", headers: { "content-type": contentType } });
      expectFailure(res, 415, "UNSUPPORTED_MEDIA_TYPE");
      expect(res.body.message).toBe("unsupported media type");
    }
    const noType = await api("POST", "/auth/user/signup/", { body: new Blob(["{}"]) });
    expectFailure(noType, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("400 INVALID_JSON for malformed JSON", async () => {
    for (const body of ["{", '{"username": }', "nul", "{'a': 1}"]) {
      const res = await api("POST", "/auth/user/signup/", {
        body,
        headers: { "content-type": "application/json; charset=utf-8" },
      });
      expectFailure(res, 400, "INVALID_JSON");
      expect(res.body.message).toBe("signup failed");
    }
  });

  it("400 VALIDATION_ERROR for JSON that is not an object", async () => {
    for (const json of [[], "text", 42, null]) {
      const res = await api("POST", "/auth/user/signup/", { json });
      expectFailure(res, 400, "VALIDATION_ERROR");
    }
  });

  it("sends the security headers, no-store and a request id on success and on errors", async () => {
    for (const res of [await api("GET", "/health"), await api("GET", "/nope")]) {
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("strict-transport-security")).toContain("max-age=");
      expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
    }
  });

  it("ignores an Authorization header on public endpoints", async () => {
    const res = await api("GET", "/health", { headers: { authorization: "Bearer stale.token.here" } });
    expect(res.status).toBe(200);
  });

  it("answers CORS preflights for allowed origins only", async () => {
    const allowed = await api("OPTIONS", "/auth/user/signup/", {
      headers: { origin: "http://localhost:3000", "access-control-request-method": "POST" },
    });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    const denied = await api("OPTIONS", "/auth/user/signup/", {
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    expect(denied.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets an allowed origin read answers, errors included, and what they expose", async () => {
    const origin = { origin: "http://localhost:3000" };
    for (const [method, path, status] of [
      ["GET", "/health", 200],
      ["GET", "/no/such/path", 404],
      ["POST", "/auth/jwt/check/", 401],
      // A route group built on first use answers through the same middleware.
      ["GET", "/auth/passkeys/", 401],
    ] as const) {
      const res = await api(method, path, { headers: origin });
      expect(res.status, path).toBe(status);
      expect(res.headers.get("access-control-allow-origin"), path).toBe("http://localhost:3000");
      expect(res.headers.get("access-control-expose-headers"), path).toBe("X-Request-Id,Retry-After,Device-Token");
      expect(res.headers.get("vary"), path).toContain("Origin");
      // The app's own headers are still there beside them.
      expect(res.headers.get("x-request-id"), path).toBeTruthy();
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
    const other = await api("GET", "/health", { headers: { origin: "https://evil.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("configuration", () => {
  it("answers 500 CONFIG_ERROR, naming the variable only in the log, when a binding is missing", async () => {
    const app = createApp();
    const broken = { ...env, DATABASE_URL: undefined, UPSTASH_REDIS_REST_TOKEN: "" };
    const res = await readResponse(await app.fetch(buildRequest("GET", "/health"), broken));
    expectFailure(res, 500, "CONFIG_ERROR");
    expect(res.text).not.toContain("DATABASE_URL");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("rejects a malformed value and never echoes it", async () => {
    const app = createApp();
    const secret = "not a url but a secret";
    const res = await readResponse(await app.fetch(buildRequest("GET", "/health"), { ...env, UPSTASH_REDIS_REST_URL: secret }));
    expectFailure(res, 500, "CONFIG_ERROR");
    expect(res.text).not.toContain(secret);
  });

  it("keeps serving once the configuration is fixed (no crash loop)", async () => {
    const app = createApp();
    await app.fetch(buildRequest("GET", "/health"), { ...env, PBKDF2_ITERATIONS: "200000" });
    const res = await readResponse(await app.fetch(buildRequest("GET", "/health"), env));
    expect(res.status).toBe(200);
  });

  it("refuses PBKDF2 iterations above the Workers limit of 100,000, saying why in the log", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const app = createApp();
    const res = await readResponse(await app.fetch(buildRequest("GET", "/health"), { ...env, PBKDF2_ITERATIONS: "100001" }));
    expectFailure(res, 500, "CONFIG_ERROR");
    const problems = errors.mock.calls.map((call) => JSON.parse(String(call[0])) as Record<string, unknown>);
    errors.mockRestore();
    expect(problems).toContainEqual(
      expect.objectContaining({
        event: "config_error",
        variable: "PBKDF2_ITERATIONS",
        problem: "Too big: expected number to be <=100000",
      }),
    );
  });
});
