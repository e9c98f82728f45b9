// The admin API's test helpers: an admin (as `npm run admin:grant` makes one) and API keys.
import { expect } from "vitest";
import { systemClock } from "../src/lib/clock.ts";
import { changeRole } from "../src/services/role-service.ts";
import { sessionStore } from "../src/stores/session-store.ts";
import { userStore } from "../src/stores/user-store.ts";
import { api, basic, bearer, testDb, testRedis, userWithSession } from "./helpers.ts";

/** A fresh admin's access token (and who they are). */
export async function newAdmin() {
  const { user } = await userWithSession();
  const deps = {
    clock: systemClock,
    config: { REFRESH_TOKEN_TTL_SECONDS: 86_400 },
    sessions: sessionStore(testRedis()),
    users: userStore(testDb()),
  };
  await changeRole(deps, user.id, "admin");
  const token = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data.access;
  return { user, token };
}

export async function adminToken(): Promise<string> {
  return (await newAdmin()).token;
}

/** An API key with these scopes, made by a fresh admin: `{id, key}`. */
export async function newApiKey(scopes: string[], adminAccess?: string): Promise<{ id: string; key: string }> {
  const created = await api("POST", "/admin/api-keys/", {
    headers: bearer(adminAccess ?? (await adminToken())),
    json: { name: `test key ${scopes.join(" ")}`, scopes },
  });
  expect(created.status, created.text).toBe(201);
  return created.body.data;
}
