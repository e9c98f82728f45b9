// API keys for the admin API: an admin makes one for a server or script; the key (lse_...) is shown
// once and stored as a digest; it acts with its scopes on /admin/ routes only; a deleted or
// expired key is refused. Every admin route checks its scope, whoever calls.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiKeys } from "../src/db/schema.ts";
import { digestHex } from "../src/lib/hex.ts";
import { adminToken, newAdmin, newApiKey } from "./admin-helpers.ts";
import { api, bearer, eventually, expectFailure, testDb, uniqueName, userWithSession } from "./helpers.ts";

const keyRow = async (id: string) => (await testDb().select().from(apiKeys).where(eq(apiKeys.id, id)))[0];

describe("POST /admin/api-keys/, GET, DELETE", () => {
  it("shows the key once: 256 random bits behind lse_, stored only as its SHA-256 digest", async () => {
    const { user, token } = await newAdmin();
    const created = await api("POST", "/admin/api-keys/", {
      headers: bearer(token),
      json: { name: "billing sync", scopes: ["users:write", "users:read", "users:read"], expires_in_days: 30 },
    });
    expect(created.status, created.text).toBe(201);
    const data = created.body.data;
    expect(data.key).toMatch(/^lse_[A-Za-z0-9_-]{43}$/);
    expect(data).toMatchObject({ name: "billing sync", scopes: ["users:read", "users:write"], created_by: `user:${user.id}` });
    expect(data.prefix).toBe(data.key.slice(0, 10));
    expect(Date.parse(data.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const row = await keyRow(data.id);
    expect(row?.digest).toBe(await digestHex("SHA-256", data.key));
    expect(JSON.stringify(row)).not.toContain(data.key);

    const listed = await api("GET", "/admin/api-keys/", { headers: bearer(token) });
    expect(listed.status).toBe(200);
    const mine = listed.body.data.api_keys.find((key: { id: string }) => key.id === data.id);
    expect(mine).toMatchObject({ name: "billing sync", prefix: data.prefix, last_used_at: null });
    expect(listed.text).not.toContain(data.key);
    expect(listed.text).not.toContain(row?.digest);
  });

  it("a key reads with users:read, is refused writes without users:write, and records its last use after the answer", async () => {
    const { id, key } = await newApiKey(["users:read"]);
    const { user } = await userWithSession();
    const read = await api("GET", `/admin/users/${user.id}/`, { headers: bearer(key) });
    expect(read.status, read.text).toBe(200);
    expect(read.body.data.user.user_id).toBe(user.id);
    expectFailure(
      await api("POST", `/admin/users/${user.id}/disable/`, { headers: bearer(key), json: { reason: "test" } }),
      403,
      "FORBIDDEN",
    );
    expect(await eventually(async () => (await keyRow(id))?.lastUsedAt ?? undefined)).toBeInstanceOf(Date);
  });

  it("a key works on the admin API only: elsewhere it is no token at all", async () => {
    const { key } = await newApiKey(["users:read", "users:write", "events:read"]);
    expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(key) }), 401, "INVALID_TOKEN");
    expectFailure(await api("GET", "/profile/", { headers: bearer(key) }), 401, "INVALID_TOKEN");
  });

  it("a key cannot make, list or delete keys (an admin's token can)", async () => {
    const { id, key } = await newApiKey(["users:read", "users:write", "webhooks:read", "webhooks:write", "events:read"]);
    const body = { name: "escalation", scopes: ["users:read"] };
    expectFailure(await api("POST", "/admin/api-keys/", { headers: bearer(key), json: body }), 403, "FORBIDDEN");
    expectFailure(await api("GET", "/admin/api-keys/", { headers: bearer(key) }), 403, "FORBIDDEN");
    expectFailure(await api("DELETE", `/admin/api-keys/${id}/`, { headers: bearer(key) }), 403, "FORBIDDEN");
  });

  it("a deleted key is refused from the next request on; deleting it again is 404", async () => {
    const token = await adminToken();
    const { id, key } = await newApiKey(["users:read"], token);
    const { user } = await userWithSession();
    expect((await api("GET", `/admin/users/${user.id}/`, { headers: bearer(key) })).status).toBe(200);
    expect((await api("DELETE", `/admin/api-keys/${id}/`, { headers: bearer(token) })).status).toBe(200);
    expectFailure(await api("GET", `/admin/users/${user.id}/`, { headers: bearer(key) }), 401, "INVALID_TOKEN");
    expectFailure(await api("DELETE", `/admin/api-keys/${id}/`, { headers: bearer(token) }), 404, "NOT_FOUND");
    const listed = await api("GET", "/admin/api-keys/", { headers: bearer(token) });
    expect(listed.body.data.api_keys.some((k: { id: string }) => k.id === id)).toBe(false);
  });

  it("an expired key is refused", async () => {
    const { id, key } = await newApiKey(["users:read"]);
    await testDb()
      .update(apiKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(apiKeys.id, id));
    const { user } = await userWithSession();
    expectFailure(await api("GET", `/admin/users/${user.id}/`, { headers: bearer(key) }), 401, "INVALID_TOKEN");
  });

  it("unknown and malformed keys are 401 INVALID_TOKEN", async () => {
    const { user } = await userWithSession();
    for (const key of [`lse_${"A".repeat(43)}`, "lse_short", `lse_${"A".repeat(42)}!`]) {
      expectFailure(await api("GET", `/admin/users/${user.id}/`, { headers: bearer(key) }), 401, "INVALID_TOKEN");
    }
  });

  it("refuses a bad request with 400 and keeps nothing", async () => {
    const token = await adminToken();
    const before = (await api("GET", "/admin/api-keys/", { headers: bearer(token) })).body.data.api_keys.length;
    for (const json of [
      {},
      { name: "x", scopes: [] },
      { name: "x", scopes: ["users:admin"] },
      { name: "", scopes: ["users:read"] },
      { name: "x", scopes: ["users:read"], expires_in_days: 0 },
      { name: "x", scopes: ["users:read"], expires_in_days: 1.5 },
      { name: "x", scopes: ["users:read"], role: "admin" },
      { name: "x", scopes: "users:read" },
    ]) {
      expectFailure(await api("POST", "/admin/api-keys/", { headers: bearer(token), json }), 400, "VALIDATION_ERROR");
    }
    expect((await api("GET", "/admin/api-keys/", { headers: bearer(token) })).body.data.api_keys.length).toBe(before);
  });
});

describe("what a key can never do", () => {
  it("change an admin's account: a users:write key gets 403 on every change to an admin (an admin's token does not)", async () => {
    const { token } = await newAdmin();
    const { key } = await newApiKey(["users:read", "users:write"], token);
    const other = await newAdmin();
    const id = other.user.id;
    for (const [method, path, json] of [
      ["PATCH", `/admin/users/${id}/`, { email: `${uniqueName("taken")}@example.com`, is_email_verified: true }],
      ["POST", `/admin/users/${id}/reset-2fa/`, undefined],
      ["POST", `/admin/users/${id}/disable/`, { reason: "takeover" }],
      ["POST", `/admin/users/${id}/enable/`, undefined],
      ["POST", `/admin/users/${id}/logout-all/`, undefined],
      ["DELETE", `/admin/users/${id}/`, undefined],
    ] as const) {
      expectFailure(await api(method, path, { headers: bearer(key), ...(json ? { json } : {}) }), 403, "FORBIDDEN");
    }
    // Reading is fine; the other admin is untouched and can still work.
    expect((await api("GET", `/admin/users/${id}/`, { headers: bearer(key) })).status).toBe(200);
    expect((await api("GET", "/admin/api-keys/", { headers: bearer(other.token) })).status).toBe(200);
    const byAdmin = await api("PATCH", `/admin/users/${id}/`, { headers: bearer(token), json: { first_name: "Checked" } });
    expect(byAdmin.status, byAdmin.text).toBe(200);
  });

  it("outlive its admin: a key stops working when whoever made it is no longer an active admin", async () => {
    const maker = await newAdmin();
    const { key } = await newApiKey(["users:read"], maker.token);
    const { user } = await userWithSession();
    expect((await api("GET", `/admin/users/${user.id}/`, { headers: bearer(key) })).status).toBe(200);
    const other = await newAdmin();
    const demoted = await api("PATCH", `/admin/users/${maker.user.id}/`, {
      headers: bearer(other.token),
      json: { role: "user" },
    });
    expect(demoted.status, demoted.text).toBe(200);
    expectFailure(await api("GET", `/admin/users/${user.id}/`, { headers: bearer(key) }), 401, "INVALID_TOKEN");
    await api("PATCH", `/admin/users/${maker.user.id}/`, { headers: bearer(other.token), json: { role: "admin" } });
    expect((await api("GET", `/admin/users/${user.id}/`, { headers: bearer(key) })).status).toBe(200);
    await api("POST", `/admin/users/${maker.user.id}/disable/`, { headers: bearer(other.token), json: { reason: "left" } });
    expectFailure(await api("GET", `/admin/users/${user.id}/`, { headers: bearer(key) }), 401, "INVALID_TOKEN");
  });
});

describe("scopes on every admin route", () => {
  it("each admin route in the OpenAPI document names its scope, refuses a key without it and a user's token (403)", async () => {
    const document = (await api("GET", "/openapi.json")).body as {
      paths: Record<string, Record<string, { tags?: string[]; description?: string }>>;
    };
    const { session } = await userWithSession();
    const keys = new Map<string, string>();
    const token = await adminToken();
    const routes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.tags?.includes("admin"))
        .map(([method, operation]) => ({ method: method.toUpperCase(), path, description: operation.description ?? "" })),
    );
    expect(routes.length).toBeGreaterThanOrEqual(8);
    for (const route of routes) {
      const scope =
        /scope `([a-z]+:[a-z]+)`/.exec(route.description)?.[1] ??
        (route.description.includes("admin's access token") ? "admin-token" : undefined);
      expect(scope, `${route.method} ${route.path} names no scope`).toBeDefined();
      // A key with every scope but this one (or, for admin-token routes, a key with all of them).
      const others = ["users:read", "users:write", "webhooks:read", "webhooks:write", "events:read"].filter((s) => s !== scope);
      const label = others.join(",");
      if (!keys.has(label)) keys.set(label, (await newApiKey(others, token)).key);
      const path = route.path.replace(/\{[a-z_]+\}/g, "00000000-0000-4000-8000-000000000000");
      const body = route.method === "GET" ? {} : { json: {} };
      const asKey = await api(route.method, `${path}/`, { headers: bearer(keys.get(label) as string), ...body });
      expectFailure(asKey, 403, "FORBIDDEN");
      const asUser = await api(route.method, `${path}/`, { headers: bearer(session.access), ...body });
      expectFailure(asUser, 403, "FORBIDDEN");
      expectFailure(await api(route.method, `${path}/`, body), 401, "NOT_AUTHENTICATED");
    }
  });
});
