// Per-isolate work happens once, and a route builds only the clients it uses: the configuration is
// parsed and the signing keys imported on the first request of an isolate, then every request hits
// the caches (keyed by the bindings and the key object, which stay the same for an isolate's life);
// the country list makes no MySQL or Redis client, a token check no MySQL client. Read from the
// counters in src/lib/isolate-stats.ts, which live in the same isolate as the worker here.
import { describe, expect, it } from "vitest";
import { isolateStats } from "../src/lib/isolate-stats.ts";
import { api, bearer, userWithSession } from "./helpers.ts";

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

  it("the country list builds no MySQL or Redis client; a token check one Redis client and no MySQL one", async () => {
    const { session } = await userWithSession();
    await settle();
    const before = snapshot();
    expect((await api("GET", "/other/metadata/countrydetails/")).status).toBe(200);
    const afterCountries = snapshot();
    expect(afterCountries.databaseClients).toBe(before.databaseClients);
    expect(afterCountries.redisClients).toBe(before.redisClients);
    expect((await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) })).status).toBe(200);
    const afterCheck = snapshot();
    expect(afterCheck.databaseClients).toBe(afterCountries.databaseClients);
    expect(afterCheck.redisClients).toBe(afterCountries.redisClients + 1);
  });
});
