// Per-isolate work happens once, and only when a route needs it: the configuration is parsed and the
// signing keys imported on the first request of an isolate, then every request hits the caches
// (keyed by the bindings and the key object, which stay the same for an isolate's life); the MySQL
// and Redis clients are made when a route first uses one (the country list uses neither, a token
// check no MySQL one) and shared after that; a group of routes is built on its first request. Read from the
// counters in src/lib/isolate-stats.ts, which live in the same isolate as the worker here.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { isolateStats } from "../src/lib/isolate-stats.ts";
import { api, bearer, buildRequest, readResponse, userWithSession } from "./helpers.ts";

const snapshot = () => ({ ...isolateStats });
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe("per-isolate caches and clients built on first use", () => {
  it("parses the configuration and imports the keys once: every later request hits both caches", async () => {
    await api("GET", "/other/metadata/countrydetails/");
    const before = snapshot();
    for (let i = 0; i < 5; i++) expect((await api("GET", "/other/metadata/countrydetails/")).status).toBe(200);
    const after = snapshot();
    expect(after.configParsed).toBe(before.configParsed);
    expect(after.keysImported).toBe(before.keysImported);
    expect(after.configCacheHits - before.configCacheHits).toBeGreaterThanOrEqual(5);
    expect(after.keysCacheHits - before.keysCacheHits).toBeGreaterThanOrEqual(5);
  });

  it("makes a MySQL or Redis client only when a route first needs one, then every request shares it", async () => {
    const { session } = await userWithSession();
    await settle();
    // Bindings of their own: a configuration of their own, so clients of their own.
    const bindings = { ...env };
    const app = createApp();
    const send = (method: string, path: string) =>
      readResponse(app.fetch(buildRequest(method, path, { headers: bearer(session.access) }), bindings));
    const before = snapshot();
    expect((await send("GET", "/other/metadata/countrydetails/")).status).toBe(200);
    expect(snapshot()).toMatchObject({ databaseClients: before.databaseClients, redisClients: before.redisClients });
    expect((await send("POST", "/auth/jwt/check/")).status).toBe(200);
    expect(snapshot()).toMatchObject({ databaseClients: before.databaseClients, redisClients: before.redisClients + 1 });
    expect((await send("GET", "/profile/")).status).toBe(200);
    expect(snapshot()).toMatchObject({ databaseClients: before.databaseClients + 1, redisClients: before.redisClients + 1 });
    for (let i = 0; i < 3; i++) {
      expect((await send("POST", "/auth/jwt/check/")).status).toBe(200);
      expect((await send("GET", "/profile/")).status).toBe(200);
    }
    expect(snapshot()).toMatchObject({ databaseClients: before.databaseClients + 1, redisClients: before.redisClients + 1 });
  });

  it("builds a group of routes on its first request, once, and only the group asked for", async () => {
    const { session } = await userWithSession();
    const app = createApp();
    const send = (method: string, path: string, options: Parameters<typeof buildRequest>[2] = {}) =>
      readResponse(app.fetch(buildRequest(method, path, options), env));
    const signedIn = { headers: bearer(session.access) };
    const before = snapshot();
    expect((await send("POST", "/auth/jwt/check/", signedIn)).status).toBe(200);
    expect((await send("GET", "/profile/", signedIn)).status).toBe(200);
    // Sign-in, tokens and the profile are built with the app: no group is.
    expect(snapshot().routeGroupsBuilt).toBe(before.routeGroupsBuilt);
    // The first 2FA request builds the 2FA group (its settings and its sign-in step); later ones reuse it.
    const settings = await send("POST", "/auth/secure/2fa/methods/", { ...signedIn, json: {} });
    expect(settings.status).toBe(400);
    expect(settings.body).toMatchObject({ success: false, error: { code: "VALIDATION_ERROR" } });
    expect(snapshot().routeGroupsBuilt).toBe(before.routeGroupsBuilt + 1);
    const verify = await send("POST", "/auth/secure/2fa/verify/", { json: {} });
    expect(verify.status).toBe(400);
    expect(verify.body).toMatchObject({ success: false, message: "2fa verify failed" });
    expect(snapshot().routeGroupsBuilt).toBe(before.routeGroupsBuilt + 1);
    // Inside a group the app's rules hold: an unknown path is a 404, a known one with another method a 405.
    expect((await send("GET", "/auth/secure/2fa/nothing-here/")).body).toMatchObject({ error: { code: "NOT_FOUND" } });
    const wrongMethod = await send("GET", "/auth/secure/2fa/methods/", signedIn);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("POST");
    // And the app's headers are on a group's answers as on any other.
    expect(wrongMethod.headers.get("x-request-id")).toBeTruthy();
    expect(wrongMethod.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
