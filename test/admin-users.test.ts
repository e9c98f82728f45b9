// The admin API's users: find them (prefix search, filters, an opaque cursor that neither skips nor
// repeats while users sign up), create one without a password (the owner sets it with a mailed
// code), change names, address, verification, phone and role, reset a lost second factor, delete.
import { describe, expect, it } from "vitest";
import { adminToken, newAdmin, newApiKey } from "./admin-helpers.ts";
import {
  api,
  basic,
  bearer,
  decodeJwt,
  eventually,
  expectFailure,
  expectSessionDead,
  loginStatus,
  messageTo,
  signup,
  uniqueName,
  userWithSession,
} from "./helpers.ts";
import { login, userWithTwoFactor } from "./two-factor-helpers.ts";

interface Summary {
  user_id: string;
  username: string;
  email: string;
  disabled: boolean;
  two_factor_methods: string[];
  is_email_verified: boolean;
}

const listUsers = async (auth: string, query: string) => {
  const response = await api("GET", `/admin/users/?${query}`, { headers: bearer(auth) });
  expect(response.status, response.text).toBe(200);
  return response.body.data as { users: Summary[]; next: string | null };
};

describe("GET /admin/users/", () => {
  it("finds by a prefix of the email, the username or the id, and filters by status, verification and second factor", async () => {
    const token = await adminToken();
    const tag = uniqueName("find");
    const plain = await userWithSession({ username: `${tag}_plain`, email: `${tag}.plain@example.com` });
    const guarded = await userWithTwoFactor();
    const off = await userWithSession({ username: `${tag}_off`, email: `${tag}.off@example.com` });
    await api("POST", `/admin/users/${off.user.id}/disable/`, { headers: bearer(token), json: { reason: "test" } });

    const byUsername = await listUsers(token, `q=${tag.toUpperCase()}_`);
    expect(byUsername.users.map((user) => user.username).sort()).toEqual([`${tag}_off`, `${tag}_plain`]);
    const byEmail = await listUsers(token, `q=${encodeURIComponent(`${tag}.plain@`)}`);
    expect(byEmail.users).toHaveLength(1);
    expect(byEmail.users[0]).toMatchObject({ user_id: plain.user.id, disabled: false, role: "user", two_factor_methods: [] });
    expect(JSON.stringify(byEmail)).not.toMatch(/password|pbkdf2/);
    const byId = await listUsers(token, `q=${plain.user.id.slice(0, 13)}`);
    expect(byId.users.map((user) => user.user_id)).toContain(plain.user.id);

    expect((await listUsers(token, `q=${tag}&status=disabled`)).users.map((user) => user.user_id)).toEqual([off.user.id]);
    expect((await listUsers(token, `q=${tag}&status=active`)).users.map((user) => user.user_id)).toEqual([plain.user.id]);
    expect((await listUsers(token, `q=${tag}&verified=true`)).users).toEqual([]);
    const withTwoFactor = await listUsers(token, `q=${guarded.user.username}&two_factor=true`);
    expect(withTwoFactor.users.map((user) => user.user_id)).toEqual([guarded.user.id]);
    expect((await listUsers(token, `q=${guarded.user.username}&two_factor=false`)).users).toEqual([]);
    // LIKE's wildcards match only themselves.
    expect((await listUsers(token, "q=%25")).users).toEqual([]);
  });

  it("pages in id order with an opaque cursor: users signing up meanwhile never make one repeat or go missing", async () => {
    const token = await adminToken();
    const tag = uniqueName("page");
    const before: string[] = [];
    for (let i = 0; i < 7; i++)
      before.push((await signup({ username: `${tag}_${i}`, email: `${tag}.${i}@example.com` })).body.data.user_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let added = 0;
    do {
      const page: { users: Summary[]; next: string | null } = await listUsers(
        token,
        `q=${tag}_&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.users.map((user) => user.user_id));
      cursor = page.next;
      // Between pages, another user with the same prefix signs up (anywhere in id order: ids are random).
      await signup({ username: `${tag}_new${added}`, email: `${tag}.new${added}@example.com` });
      added++;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    expect([...seen].sort()).toEqual(seen);
  });

  it("refuses a bad filter or cursor with 400", async () => {
    const token = await adminToken();
    for (const query of ["status=gone", "verified=yes", "two_factor=1", "cursor=!!", "cursor=ZTox", "limit=1000"]) {
      expectFailure(await api("GET", `/admin/users/?${query}`, { headers: bearer(token) }), 400, "VALIDATION_ERROR");
    }
  });
});

describe("GET /admin/users/{id}/", () => {
  it("shows the user's live sessions (no tokens) beside profile, passkeys, identities and events", async () => {
    const token = await adminToken();
    const { user } = await userWithSession({}, { "User-Agent": "SupportTest/1.0" });
    const seen = await api("GET", `/admin/users/${user.id}/`, { headers: bearer(token) });
    expect(seen.status, seen.text).toBe(200);
    expect(seen.body.data.sessions).toHaveLength(1);
    expect(seen.body.data.sessions[0]).toMatchObject({ user_agent: "SupportTest/1.0" });
    expectFailure(await api("GET", "/admin/users/no-such-user/", { headers: bearer(token) }), 404, "NOT_FOUND");
  });
});

describe("POST /admin/users/", () => {
  it("creates a user without a password; the mailed code sets one through the reset flow", async () => {
    const { key } = await newApiKey(["users:write"]);
    const username = uniqueName("made");
    const email = `${username}@example.com`;
    const created = await api("POST", "/admin/users/", {
      headers: bearer(key),
      json: { username, email, first_name: "Made", is_email_verified: true },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.data).toMatchObject({ username, email, first_name: "Made", is_email_verified: true, role: "user" });
    expect(await loginStatus(username, "anything-at-all-1")).toBe(401);

    const mail = await messageTo(email, "set a password");
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    const confirmed = await api("POST", "/auth/password/forget/confirm/", { json: { email, otp: code } });
    expect(confirmed.status, confirmed.text).toBe(200);
    const password = "Chosen-by-owner-77";
    const reset = await api("POST", "/auth/password/reset/", {
      json: { email, reset_token: confirmed.body.data.reset_token, password1: password, password2: password },
    });
    expect(reset.status, reset.text).toBe(200);
    expect(await loginStatus(username, password)).toBe(200);
  });

  it("refuses a taken username or email and a malformed body with 400, creating nothing", async () => {
    const token = await adminToken();
    const { user } = await userWithSession();
    const fresh = uniqueName("dup");
    for (const json of [
      { username: user.username, email: `${fresh}@example.com` },
      { username: fresh, email: user.email.toUpperCase() },
      { username: "has space", email: `${fresh}@example.com` },
      { username: fresh, email: "not-an-address" },
      { username: fresh, email: `${fresh}@example.com`, password: "sneaky-password-1" },
      { username: fresh, email: `${fresh}@example.com`, role: "admin" },
      { username: fresh, email: `${fresh}@example.com`, phone_number: "12" },
    ]) {
      expectFailure(await api("POST", "/admin/users/", { headers: bearer(token), json }), 400, "VALIDATION_ERROR");
    }
    expect((await listUsers(token, `q=${fresh}`)).users).toEqual([]);
  });
});

describe("PATCH /admin/users/{id}/", () => {
  it("changes names and email (unverified then), phone; answers the user as GET shows it", async () => {
    const { key } = await newApiKey(["users:write", "users:read"]);
    const { user } = await userWithSession();
    const email = `${uniqueName("moved")}@example.com`;
    const patched = await api("PATCH", `/admin/users/${user.id}/`, {
      headers: bearer(key),
      json: { first_name: "Renamed", email, phone_number: "+14155550123" },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body.data.user).toMatchObject({ first_name: "Renamed", email, is_email_verified: false });
    const verified = await api("PATCH", `/admin/users/${user.id}/`, { headers: bearer(key), json: { is_email_verified: true } });
    expect(verified.body.data.user.is_email_verified).toBe(true);
    const listed = await listUsers(key, `q=${encodeURIComponent(email)}`);
    expect(listed.users[0]).toMatchObject({ phone_number: "+14155550123" });
    expect(await loginStatus(email, user.password)).toBe(200);
  });

  it("refuses a taken email, an unknown field, a bad phone (400) and an unknown user (404)", async () => {
    const token = await adminToken();
    const { user } = await userWithSession();
    const other = await userWithSession();
    for (const json of [{ email: other.user.email }, { password: "x" }, { phone_number: "12" }, { role: "root" }]) {
      expectFailure(await api("PATCH", `/admin/users/${user.id}/`, { headers: bearer(token), json }), 400, "VALIDATION_ERROR");
    }
    expectFailure(
      await api("PATCH", "/admin/users/no-such-user/", { headers: bearer(token), json: { first_name: "x" } }),
      404,
      "NOT_FOUND",
    );
  });

  it("a role change needs an admin's token (a key would make admins); it ends the user's sessions", async () => {
    const { token } = await newAdmin();
    const { key } = await newApiKey(["users:write"], token);
    const { user, session } = await userWithSession();
    expectFailure(
      await api("PATCH", `/admin/users/${user.id}/`, { headers: bearer(key), json: { role: "admin" } }),
      403,
      "FORBIDDEN",
    );
    const granted = await api("PATCH", `/admin/users/${user.id}/`, { headers: bearer(token), json: { role: "admin" } });
    expect(granted.status, granted.text).toBe(200);
    expect(granted.body.data.role).toBe("admin");
    await expectSessionDead(session);
    const fresh = await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) });
    expect(decodeJwt(fresh.body.data.access).payload.role).toBe("admin");
  });
});

describe("POST /admin/users/{id}/reset-2fa/", () => {
  it("turns a lost second factor off: sessions end, the password alone signs in, the user is told", async () => {
    const { token } = await newAdmin();
    const { user, session } = await userWithTwoFactor();
    const done = await api("POST", `/admin/users/${user.id}/reset-2fa/`, { headers: bearer(token) });
    expect(done.status, done.text).toBe(200);
    await expectSessionDead(session);
    const signedIn = await login(user.username, user.password);
    expect(signedIn.body.data.mfa_required).toBeUndefined();
    expect(typeof signedIn.body.data.access).toBe("string");
    await messageTo(user.email, "two-factor authentication was reset");
    const events = await eventually(async () => {
      const found = await api("GET", `/admin/events/?user=${user.id}&type=two_factor_reset`, { headers: bearer(token) });
      return found.body.data.events.length ? found.body.data.events : undefined;
    });
    expect(events?.[0].actor).toMatch(/^user:/);
  });
});

describe("DELETE /admin/users/{id}/", () => {
  it("deletes the account (its sessions end); the audit trail keeps who deleted it", async () => {
    const { user: admin, token } = await newAdmin();
    const { user, session } = await userWithSession();
    const deleted = await api("DELETE", `/admin/users/${user.id}/`, { headers: bearer(token) });
    expect(deleted.status, deleted.text).toBe(200);
    await expectSessionDead(session);
    expectFailure(await api("GET", `/admin/users/${user.id}/`, { headers: bearer(token) }), 404, "NOT_FOUND");
    expectFailure(await api("DELETE", `/admin/users/${user.id}/`, { headers: bearer(token) }), 404, "NOT_FOUND");
    expect(await loginStatus(user.username, user.password)).toBe(401);
    const trail = await eventually(async () => {
      const found = await api("GET", `/admin/events/?user=${user.id}`, { headers: bearer(token) });
      return found.body.data.events.length ? found.body.data.events : undefined;
    });
    expect(trail).toEqual([
      expect.objectContaining({
        event: "account_deleted",
        user_id: user.id,
        actor: `user:${admin.id}`,
        target: `user:${user.id}`,
      }),
    ]);
  });

  it("keeps what operators did to an account after it is deleted; the user's own events go", async () => {
    const { token } = await newAdmin();
    const { user } = await userWithSession();
    await api("PATCH", `/admin/users/${user.id}/`, { headers: bearer(token), json: { first_name: "Audited" } });
    await eventually(async () => {
      const found = await api("GET", `/admin/events/?user=${user.id}`, { headers: bearer(token) });
      const names = found.body.data.events.map((event: { event: string }) => event.event);
      return names.includes("profile_changed_by_admin") && names.includes("login_succeeded") ? true : undefined;
    });
    expect((await api("DELETE", `/admin/users/${user.id}/`, { headers: bearer(token) })).status).toBe(200);
    const trail = await eventually(async () => {
      const found = await api("GET", `/admin/events/?user=${user.id}`, { headers: bearer(token) });
      const events = found.body.data.events as { event: string }[];
      return events.some((event) => event.event === "account_deleted") ? events : undefined;
    });
    expect(trail?.map((event) => event.event)).toEqual(["account_deleted", "profile_changed_by_admin"]);
  });
});
