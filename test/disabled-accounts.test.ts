// Disabled accounts: an admin disables one (its sessions end at once) and it cannot sign in by any
// path, refresh or reset; it answers 403 ACCOUNT_DISABLED only after right credentials, so a wrong
// password still gets the usual 401 and disabling tells a guesser nothing. Enabling undoes it.
import { describe, expect, it } from "vitest";
import { SoftAuthenticator } from "../local/software-authenticator.ts";
import { adminToken } from "./admin-helpers.ts";
import { api, basic, bearer, expectFailure, latestCode, outbox, userWithSession, verifyEmailAddress } from "./helpers.ts";
import { devSignIn, exchange } from "./oauth-helpers.ts";
import { userWithTwoFactor, verify } from "./two-factor-helpers.ts";

const admin = (token: string, path: string, json?: unknown) =>
  api("POST", path, { headers: bearer(token), ...(json === undefined ? {} : { json }) });
const loginStatus = async (username: string, password: string) =>
  api("POST", "/auth/user/login/", { headers: basic(username, password) });

describe("POST /admin/users/{id}/disable and /enable", () => {
  it("ends the sessions at once; a right password then gets 403 ACCOUNT_DISABLED, a wrong one the usual 401; enabling undoes it", async () => {
    const token = await adminToken();
    const { user, session } = await userWithSession();
    const disabled = await admin(token, `/admin/users/${user.id}/disable/`, { reason: "abuse report #42" });
    expect(disabled.status, disabled.text).toBe(200);
    expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) }), 401, "INVALID_TOKEN");
    expectFailure(
      await api("POST", "/auth/jwt/get-access/", { json: { refresh: session.refresh } }),
      400,
      "INVALID_REFRESH_TOKEN",
    );
    expectFailure(await loginStatus(user.username, user.password), 403, "ACCOUNT_DISABLED");
    expectFailure(await loginStatus(user.username, `${user.password}x`), 401, "INVALID_CREDENTIALS");
    const json = await api("POST", "/auth/user/login/", { json: { username: user.username, password: user.password } });
    expectFailure(json, 403, "ACCOUNT_DISABLED");

    const seen = await api("GET", `/admin/users/${user.id}/`, { headers: bearer(token) });
    expect(seen.body.data.disabled).toMatchObject({ reason: "abuse report #42", until: null });
    const events = seen.body.data.security_events.map((event: { event: string }) => event.event);
    expect(events).toContain("account_disabled");

    expect((await admin(token, `/admin/users/${user.id}/enable/`)).status).toBe(200);
    expect((await loginStatus(user.username, user.password)).status).toBe(200);
    expect((await api("GET", `/admin/users/${user.id}/`, { headers: bearer(token) })).body.data.disabled).toBeNull();
  });

  it("counts a disabled account's wrong passwords like any other's: once its budget is full, even the right one waits (429, not 403)", async () => {
    const token = await adminToken();
    const { user } = await userWithSession();
    await admin(token, `/admin/users/${user.id}/disable/`, { reason: "inactive" });
    const seen: number[] = [];
    for (let i = 0; i < 11; i++) seen.push((await loginStatus(user.username, `${user.password}-wrong`)).status);
    expect(seen.slice(0, 9)).toEqual(Array(9).fill(401));
    expect(seen.slice(9)).toEqual([429, 429]);
    expectFailure(await loginStatus(user.username, user.password), 429, "RATE_LIMITED");
  });

  it("refuses a password reset with the right code, an email sign-in code, and a provider sign-in", async () => {
    const token = await adminToken();
    const { user, session } = await userWithSession();
    await verifyEmailAddress(user.email, session.access);
    // Codes asked for before the account was disabled.
    const before = (await outbox(user.email)).length;
    expect((await api("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const resetCode = await latestCode(user.email, before);
    await admin(token, `/admin/users/${user.id}/disable/`, { reason: "chargeback" });
    const password = "a new Passphrase 42!";
    const reset = await api("POST", "/auth/password/reset/", {
      json: { email: user.email, otp: resetCode, password1: password, password2: password },
    });
    expectFailure(reset, 403, "ACCOUNT_DISABLED");

    const sent = (await outbox(user.email)).length;
    expect((await api("POST", "/auth/passwordless/email/", { json: { email: user.email } })).status).toBe(200);
    const code = await latestCode(user.email, sent);
    expectFailure(
      await api("POST", "/auth/passwordless/email/verify/", { json: { email: user.email, code } }),
      403,
      "ACCOUNT_DISABLED",
    );
    // The provider vouches for the address the account has verified: it links, then the exchange refuses.
    const back = await devSignIn(user.email, true);
    expectFailure(await exchange(String(back.searchParams.get("code"))), 403, "ACCOUNT_DISABLED");
  });

  it("kills a second-factor challenge pending at the disable; the next right password gets 403 before any challenge", async () => {
    const token = await adminToken();
    const { user, app } = await userWithTwoFactor();
    const pending = await loginStatus(user.username, user.password);
    expect(pending.body.data.mfa_required).toBe(true);
    expect((await admin(token, `/admin/users/${user.id}/disable/`, { reason: "test" })).status).toBe(200);
    expectFailure(await verify({ mfa_token: pending.body.data.mfa_token, code: await app.nextCode() }), 401, "MFA_TOKEN_INVALID");
    expectFailure(await loginStatus(user.username, user.password), 403, "ACCOUNT_DISABLED");
  });

  it("refuses a passkey sign-in with 403 after the passkey proved right", async () => {
    const token = await adminToken();
    const { user, session } = await userWithSession();
    const authenticator = await SoftAuthenticator.create("ES256");
    const options = (await api("POST", "/auth/passkeys/register/options/", { headers: bearer(session.access) })).body.data;
    const registered = await api("POST", "/auth/passkeys/register/verify/", {
      headers: bearer(session.access),
      json: { response: await authenticator.register(options), name: "Laptop" },
    });
    expect(registered.status, registered.text).toBe(201);
    expect((await admin(token, `/admin/users/${user.id}/disable/`, { reason: "test" })).status).toBe(200);
    const challenge = (await api("POST", "/auth/passkeys/login/options/", { json: {} })).body.data;
    const signIn = await api("POST", "/auth/passkeys/login/verify/", {
      json: { response: await authenticator.assert(challenge) },
    });
    expectFailure(signIn, 403, "ACCOUNT_DISABLED");
  });

  it("enables again by itself after `until`; refuses an `until` in the past and a missing reason", async () => {
    const token = await adminToken();
    const { user } = await userWithSession();
    const until = new Date(Date.now() + 1500).toISOString();
    expect((await admin(token, `/admin/users/${user.id}/disable/`, { reason: "cool-off", until })).status).toBe(200);
    expectFailure(await loginStatus(user.username, user.password), 403, "ACCOUNT_DISABLED");
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await loginStatus(user.username, user.password)).status).toBe(200);
    const past = new Date(Date.now() - 1000).toISOString();
    expectFailure(await admin(token, `/admin/users/${user.id}/disable/`, { reason: "x", until: past }), 400, "VALIDATION_ERROR");
    expectFailure(await admin(token, `/admin/users/${user.id}/disable/`, {}), 400, "VALIDATION_ERROR");
    expectFailure(
      await admin(token, `/admin/users/${user.id}/disable/`, { reason: "x", until: "tomorrow" }),
      400,
      "VALIDATION_ERROR",
    );
    expectFailure(await admin(token, "/admin/users/nobody/disable/", { reason: "x" }), 404, "NOT_FOUND");
  });

  it("answers 403 FORBIDDEN to a user's token, and changes nothing", async () => {
    const { user, session } = await userWithSession();
    const other = await userWithSession();
    expectFailure(await admin(session.access, `/admin/users/${other.user.id}/disable/`, { reason: "x" }), 403, "FORBIDDEN");
    expect((await loginStatus(other.user.username, other.user.password)).status).toBe(200);
    expectFailure(await admin(session.access, `/admin/users/${user.id}/logout-all/`), 403, "FORBIDDEN");
  });
});

describe("POST /admin/users/{id}/logout-all", () => {
  it("ends every session of the user; they can sign in again", async () => {
    const token = await adminToken();
    const { user, session } = await userWithSession();
    expect((await admin(token, `/admin/users/${user.id}/logout-all/`)).status).toBe(200);
    expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) }), 401, "INVALID_TOKEN");
    expect((await loginStatus(user.username, user.password)).status).toBe(200);
  });
});
