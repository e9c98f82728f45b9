// Roles: "user" or "admin". The access token carries the role (from the user row at sign-in, from
// its Redis mirror at refresh); changing it ends every session; the admin API answers admins only.
import { describe, expect, it } from "vitest";
import { systemClock } from "../src/lib/clock.ts";
import { changeRole } from "../src/services/role-service.ts";
import { sessionStore } from "../src/stores/session-store.ts";
import { userStore } from "../src/stores/user-store.ts";
import { api, basic, bearer, decodeJwt, expectFailure, testDb, testRedis, userWithSession } from "./helpers.ts";
import { signIn, userWithTwoFactor } from "./two-factor-helpers.ts";

/** What `npm run admin:grant` runs (local/admin-grant.ts), against the tests' database and Redis. */
const setRole = (userId: string, role: "user" | "admin") =>
  changeRole(
    {
      clock: systemClock,
      config: { REFRESH_TOKEN_TTL_SECONDS: 86_400 } as never,
      sessions: sessionStore(testRedis()),
      users: userStore(testDb()),
    },
    userId,
    role,
  );

const check = (access: string) => api("POST", "/auth/jwt/check/", { headers: bearer(access) });
const login = async (username: string, password: string) =>
  (await api("POST", "/auth/user/login/", { headers: basic(username, password) })).body.data as {
    access: string;
    refresh: string;
  };

describe("roles", () => {
  it("a user's token says role user, and the admin API answers it 403 FORBIDDEN", async () => {
    const { user, session } = await userWithSession();
    expect(decodeJwt(session.access).payload.role).toBe("user");
    expectFailure(await api("GET", `/admin/users/${user.id}/`, { headers: bearer(session.access) }), 403, "FORBIDDEN");
    expectFailure(await api("GET", `/admin/users/${user.id}/`), 401, "NOT_AUTHENTICATED");
  });

  it("granting admin ends every session; the next sign-in's tokens, and their refreshes, say admin", async () => {
    const { user, session } = await userWithSession();
    await setRole(user.id, "admin");
    expectFailure(await check(session.access), 401, "INVALID_TOKEN");
    const tokens = await login(user.username, user.password);
    expect(decodeJwt(tokens.access).payload.role).toBe("admin");
    const refreshed = await api("POST", "/auth/jwt/get-access/", { json: { refresh: tokens.refresh } });
    expect(decodeJwt(refreshed.body.data.access).payload.role).toBe("admin");
    const rotated = await api("POST", "/auth/jwt/get-refresh/", { json: { refresh: tokens.refresh } });
    expect(decodeJwt(rotated.body.data.access).payload.role).toBe("admin");

    const other = await userWithSession();
    const seen = await api("GET", `/admin/users/${other.user.id}/`, { headers: bearer(tokens.access) });
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body.data).toMatchObject({
      user: { user_id: other.user.id, username: other.user.username },
      role: "user",
      has_password: true,
      two_factor_methods: [],
      passkeys: [],
      identities: [],
    });
    expect(seen.body.data.security_events.map((event: { event: string }) => event.event)).toContain("login_succeeded");
    expect(seen.text).not.toMatch(/password_hash|pbkdf2|totp_secret|recovery_codes/i);
    expectFailure(await api("GET", "/admin/users/no-such-user/", { headers: bearer(tokens.access) }), 404, "NOT_FOUND");
  });

  it("taking admin back ends every session too: no token keeps the old role", async () => {
    const { user } = await userWithSession();
    await setRole(user.id, "admin");
    const admin = await login(user.username, user.password);
    await setRole(user.id, "user");
    expectFailure(await check(admin.access), 401, "INVALID_TOKEN");
    expect((await api("POST", "/auth/jwt/get-access/", { json: { refresh: admin.refresh } })).status).toBe(400);
    const again = await login(user.username, user.password);
    expect(decodeJwt(again.access).payload.role).toBe("user");
    expectFailure(await api("GET", `/admin/users/${user.id}/`, { headers: bearer(again.access) }), 403, "FORBIDDEN");
  });

  it("an admin with two-factor authentication gets the role after the second step too", async () => {
    const { user, app } = await userWithTwoFactor();
    await setRole(user.id, "admin");
    const session = await signIn(user, app);
    expect(decodeJwt(session.access).payload.role).toBe("admin");
  });

  it("a role claim written into a token by hand is worth nothing: the signature breaks", async () => {
    const { user, session } = await userWithSession();
    const [header, payload, signature] = session.access.split(".");
    const claims = JSON.parse(atob(String(payload).replace(/-/g, "+").replace(/_/g, "/")));
    const forged = btoa(JSON.stringify({ ...claims, role: "admin" }))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
    const res = await api("GET", `/admin/users/${user.id}/`, { headers: bearer(`${header}.${forged}.${signature}`) });
    expectFailure(res, 401, "INVALID_TOKEN");
  });
});
