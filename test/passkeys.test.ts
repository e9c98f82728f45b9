// Passkeys: registering one (a recent sign-in or the password), signing in with it (with or
// without a username), managing them, and every way a forged or replayed response is refused.
// The authenticator is software (test/software-authenticator.ts), so each check can be failed.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { type Ceremony, SoftAuthenticator } from "../local/software-authenticator.ts";
import { createApp } from "../src/app.ts";
import { passkeys, users } from "../src/db/schema.ts";
import {
  api,
  bearer,
  buildRequest,
  eventually,
  expectFailure,
  messageTo,
  readResponse,
  type Session,
  testDb,
  userWithSession,
} from "./helpers.ts";
import { codeForStep, STEP_MS, userWithTwoFactor, verify } from "./two-factor-helpers.ts";

type Body = Record<string, unknown>;
const registerOptions = (access: string, json?: Body) =>
  api("POST", "/auth/passkeys/register/options/", { headers: bearer(access), json });
const registerVerify = (access: string, json: Body) =>
  api("POST", "/auth/passkeys/register/verify/", { headers: bearer(access), json });
const list = (access: string) => api("GET", "/auth/passkeys/", { headers: bearer(access) });
const loginOptions = (json: Body = {}) => api("POST", "/auth/passkeys/login/options/", { json });
const loginVerify = (response: unknown) => api("POST", "/auth/passkeys/login/verify/", { json: { response } });
const passkeyRows = (userId: string) => testDb().select().from(passkeys).where(eq(passkeys.userId, userId));
const check = (access: string) => api("POST", "/auth/jwt/check/", { headers: bearer(access) });

/** A fresh user (signed in just now) with one passkey registered. */
async function userWithPasskey(algorithm: "ES256" | "Ed25519" = "ES256") {
  const { user, session } = await userWithSession();
  const authenticator = await SoftAuthenticator.create(algorithm);
  const options = (await registerOptions(session.access)).body.data;
  const res = await registerVerify(session.access, { response: await authenticator.register(options), name: "Laptop" });
  expect(res.status, res.text).toBe(201);
  return { user, session, authenticator, passkey: res.body.data };
}

/** Signs in with the authenticator, usernameless unless a username is given. */
async function signIn(
  authenticator: SoftAuthenticator,
  options: Body = {},
  ceremony: Parameters<SoftAuthenticator["assert"]>[1] = {},
) {
  const challenge = (await loginOptions(options)).body.data;
  return loginVerify(await authenticator.assert(challenge, ceremony));
}

describe("registering a passkey: POST /auth/passkeys/register/options/ and /verify/", () => {
  for (const algorithm of ["ES256", "Ed25519"] as const) {
    it(`registers a ${algorithm} passkey and answers 201 with its public view; a notice mail and an event follow`, async () => {
      const { user, session, passkey } = await userWithPasskey(algorithm);
      expect(Object.keys(passkey).sort()).toEqual(["backed_up", "created_at", "id", "last_used_at", "name", "transports"]);
      expect(passkey).toMatchObject({ name: "Laptop", last_used_at: null, backed_up: false, transports: ["internal"] });
      expect((await list(session.access)).body.data.passkeys).toEqual([passkey]);
      await messageTo(user.email, "A passkey was added");
      const events = await eventually(async () => {
        const found = (await api("GET", "/auth/security-events/", { headers: bearer(session.access) })).body.data.events;
        return found.some((event: { event: string }) => event.event === "passkey_added") ? found : undefined;
      });
      expect(events).toBeDefined();
    });
  }

  it("asks for a discoverable, user-verified passkey with Ed25519, ES256 and RS256, and excludes the ones the user has", async () => {
    const { session, authenticator } = await userWithPasskey();
    const options = (await registerOptions(session.access)).body.data;
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(options.pubKeyCredParams.map((param: { alg: number }) => param.alg)).toEqual([-8, -7, -257]);
    expect(options.attestation).toBe("none");
    expect(options.rp).toEqual({ id: "localhost", name: "LoginSystem Edge" });
    expect(options.excludeCredentials).toEqual([{ id: authenticator.id, type: "public-key", transports: ["internal"] }]);
    expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("needs a sign-in of the last 10 minutes, or the password: 401 REAUTHENTICATION_REQUIRED, 400 for a wrong password", async () => {
    const { user, session } = await userWithSession();
    const later = createApp({ clock: { now: () => new Date(Date.now() + 11 * 60_000) } });
    const at = (json?: Body) =>
      readResponse(
        later.fetch(buildRequest("POST", "/auth/passkeys/register/options/", { headers: bearer(session.access), json }), env),
      );
    expectFailure(await at(), 401, "REAUTHENTICATION_REQUIRED");
    expect(expectFailure(await at({ password: "Not-the-passw0rd" }), 400, "VALIDATION_ERROR")).toEqual({
      password: ["Incorrect password."],
    });
    expect((await at({ password: user.password })).status).toBe(200);
  });

  const refusals: [
    string,
    (options: { challenge: string; user: { id: string } }, other: Session) => Promise<Ceremony | "replay" | "other-user">,
  ][] = [
    ["a wrong origin", async () => ({ origin: "https://evil.example" })],
    ["a wrong RP ID hash", async () => ({ rpId: "evil.example" })],
    ["no user verification", async () => ({ userVerified: false })],
    ["a challenge the server never made", async () => ({ challenge: "A".repeat(43) })],
    ["a sign-in (webauthn.get) response type", async () => ({ type: "webauthn.get" })],
    ["a replayed response", async () => "replay"],
    ["another user's challenge", async () => "other-user"],
  ];
  for (const [what, make] of refusals) {
    it(`refuses ${what} with 400 VALIDATION_ERROR and stores nothing`, async () => {
      const { user, session } = await userWithSession();
      const other = (await userWithSession()).session;
      const authenticator = await SoftAuthenticator.create();
      const options = (await registerOptions(session.access)).body.data;
      const ceremony = await make(options, other);
      if (ceremony === "replay") {
        const response = await authenticator.register(options);
        expect((await registerVerify(session.access, { response })).status).toBe(201);
        await testDb().delete(passkeys).where(eq(passkeys.userId, user.id));
        expect(expectFailure(await registerVerify(session.access, { response }), 400, "VALIDATION_ERROR").response).toBeDefined();
      } else if (ceremony === "other-user") {
        const theirs = (await registerOptions(other.access)).body.data;
        const res = await registerVerify(session.access, { response: await authenticator.register(theirs) });
        expect(expectFailure(res, 400, "VALIDATION_ERROR").response).toBeDefined();
      } else {
        const res = await registerVerify(session.access, { response: await authenticator.register(options, ceremony) });
        expect(expectFailure(res, 400, "VALIDATION_ERROR").response).toBeDefined();
      }
      expect(await passkeyRows(user.id)).toEqual([]);
    });
  }

  it("refuses a passkey registered already (here by another account) with 400", async () => {
    const { authenticator } = await userWithPasskey();
    const { user, session } = await userWithSession();
    const options = (await registerOptions(session.access)).body.data;
    expectFailure(
      await registerVerify(session.access, { response: await authenticator.register(options) }),
      400,
      "VALIDATION_ERROR",
    );
    expect(await passkeyRows(user.id)).toEqual([]);
  });

  it("answers malformed bodies with 400 VALIDATION_ERROR naming the field, never 500", async () => {
    const { session } = await userWithSession();
    for (const json of [
      {},
      { response: "x" },
      { response: { id: "not base64url!", rawId: "x", type: "public-key", response: {} } },
      { response: {}, extra: 1 },
    ]) {
      const details = expectFailure(await registerVerify(session.access, json), 400, "VALIDATION_ERROR");
      expect(Object.keys(details).length).toBeGreaterThan(0);
    }
    expectFailure(await api("POST", "/auth/passkeys/register/options/", { json: {} }), 401, "NOT_AUTHENTICATED");
  });
});

describe("signing in with a passkey: POST /auth/passkeys/login/options/ and /verify/", () => {
  it("signs in usernameless: the token pair, which /auth/jwt/check/ accepts; the count and last use are recorded", async () => {
    const { user, authenticator } = await userWithPasskey("Ed25519");
    const res = await signIn(authenticator);
    expect(res.status, res.text).toBe(200);
    expect(Object.keys(res.body.data).sort()).toEqual(["access", "expires_in", "refresh", "token_type"]);
    expect((await check(res.body.data.access)).status).toBe(200);
    const [row] =
      (await eventually(async () => {
        const rows = await passkeyRows(user.id);
        return rows[0]?.lastUsedAt ? rows : undefined;
      })) ?? [];
    expect(row?.signCount).toBe(1);
  });

  it("signs in with a username, and offers no list of credentials for it: the answer looks the same for an unknown name", async () => {
    const { user, authenticator } = await userWithPasskey();
    const known = (await loginOptions({ username: user.username })).body.data;
    const unknown = (await loginOptions({ username: `nobody-${user.username}` })).body.data;
    const none = (await loginOptions()).body.data;
    for (const options of [known, unknown, none]) {
      expect(Object.keys(options).sort()).toEqual(["challenge", "rpId", "timeout", "userVerification"]);
      expect(options).toMatchObject({ rpId: "localhost", userVerification: "required", timeout: 300_000 });
    }
    expect((await loginVerify(await authenticator.assert(known))).status).toBe(200);
    expectFailure(await loginVerify(await authenticator.assert(unknown)), 401, "INVALID_CREDENTIALS");
  });

  it("needs no second factor: a user with an authenticator app on gets tokens straight away", async () => {
    const { session, authenticator, user } = await userWithPasskey();
    await testDb().update(users).set({ twoFactorMethods: "totp" }).where(eq(users.id, user.id));
    expect((await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) })).status).toBe(200);
    const res = await signIn(authenticator);
    expect(res.status).toBe(200);
    expect(res.body.data.mfa_required).toBeUndefined();
  });

  const refusals: [string, () => Promise<{ options?: Body; ceremony?: Parameters<SoftAuthenticator["assert"]>[1] }>][] = [
    ["a wrong origin", async () => ({ ceremony: { origin: "https://evil.example" } })],
    ["a wrong RP ID hash", async () => ({ ceremony: { rpId: "evil.example" } })],
    ["no user verification", async () => ({ ceremony: { userVerified: false } })],
    ["a challenge the server never made", async () => ({ ceremony: { challenge: "B".repeat(43) } })],
    ["a registration (webauthn.create) response type", async () => ({ ceremony: { type: "webauthn.create" } })],
    ["another account's user handle", async () => ({ ceremony: { userHandle: btoa("someone-else").replace(/=+$/, "") } })],
  ];
  for (const [what, make] of refusals) {
    it(`refuses ${what} with 401 INVALID_CREDENTIALS: no session, nothing recorded`, async () => {
      const { user, authenticator } = await userWithPasskey();
      const { options, ceremony } = await make();
      expectFailure(await signIn(authenticator, options, ceremony), 401, "INVALID_CREDENTIALS");
      const [row] = await passkeyRows(user.id);
      expect(row?.lastUsedAt).toBeNull();
      expect(row?.signCount).toBe(0);
    });
  }

  it("spends a challenge on first use: a replayed assertion, and a retry after a failure, are refused", async () => {
    const { authenticator } = await userWithPasskey();
    const options = (await loginOptions()).body.data;
    const assertion = await authenticator.assert(options);
    expect((await loginVerify(assertion)).status).toBe(200);
    expectFailure(await loginVerify(assertion), 401, "INVALID_CREDENTIALS");
    const again = (await loginOptions()).body.data;
    expectFailure(
      await loginVerify(await authenticator.assert(again, { origin: "https://evil.example" })),
      401,
      "INVALID_CREDENTIALS",
    );
    expectFailure(await loginVerify(await authenticator.assert(again)), 401, "INVALID_CREDENTIALS");
  });

  it("refuses an unknown passkey, and a passkey presented for another account's username", async () => {
    const stranger = await SoftAuthenticator.create();
    await stranger.register({ challenge: "x", user: { id: "eA" } });
    expectFailure(await signIn(stranger), 401, "INVALID_CREDENTIALS");
    const { authenticator } = await userWithPasskey();
    const other = await userWithPasskey();
    expectFailure(await signIn(authenticator, { username: other.user.username }), 401, "INVALID_CREDENTIALS");
  });

  it("refuses a sign count that went backwards (a cloned authenticator) and records it", async () => {
    const { session, authenticator, user } = await userWithPasskey();
    expect((await signIn(authenticator, {}, { signCount: 5 })).status).toBe(200);
    await eventually(async () => (await passkeyRows(user.id))[0]?.signCount === 5);
    expectFailure(await signIn(authenticator, {}, { signCount: 3 }), 401, "INVALID_CREDENTIALS");
    expectFailure(await signIn(authenticator, {}, { signCount: 5 }), 401, "INVALID_CREDENTIALS");
    expect((await passkeyRows(user.id))[0]?.signCount).toBe(5);
    const recorded = await eventually(async () => {
      const events = (await api("GET", "/auth/security-events/", { headers: bearer(session.access) })).body.data.events;
      return events.filter((event: { event: string }) => event.event === "passkey_clone_suspected").length === 2;
    });
    expect(recorded).toBe(true);
    expect((await signIn(authenticator, {}, { signCount: 6 })).status).toBe(200);
  });

  it("answers a malformed assertion with 400 VALIDATION_ERROR and a garbled one with 401, never 500", async () => {
    expectFailure(await api("POST", "/auth/passkeys/login/verify/", { json: {} }), 400, "VALIDATION_ERROR");
    expectFailure(await loginVerify({ id: "AAAA", rawId: "AAAA", type: "public-key", response: {} }), 400, "VALIDATION_ERROR");
    const garbled = {
      id: "AAAA",
      rawId: "AAAA",
      type: "public-key",
      response: { clientDataJSON: "AAAA", authenticatorData: "AAAA", signature: "AAAA" },
    };
    expectFailure(await loginVerify(garbled), 401, "INVALID_CREDENTIALS");
    expectFailure(await api("POST", "/auth/passkeys/login/options/", { json: { username: 5 } }), 400, "VALIDATION_ERROR");
    expect((await api("POST", "/auth/passkeys/login/options/")).status).toBe(200);
  });
});

describe("managing passkeys: GET /auth/passkeys/, PATCH and DELETE /auth/passkeys/{id}/", () => {
  it("renames and removes the caller's own passkeys; another user's answer 404", async () => {
    const { session, passkey, user } = await userWithPasskey();
    const other = await userWithSession();
    const path = `/auth/passkeys/${passkey.id}/`;
    expectFailure(await api("PATCH", path, { headers: bearer(other.session.access), json: { name: "Mine" } }), 404, "NOT_FOUND");
    expectFailure(await api("DELETE", path, { headers: bearer(other.session.access) }), 404, "NOT_FOUND");
    expect((await api("PATCH", path, { headers: bearer(session.access), json: { name: " Phone " } })).status).toBe(200);
    expect((await list(session.access)).body.data.passkeys[0].name).toBe("Phone");
    expectFailure(await api("PATCH", path, { headers: bearer(session.access), json: { name: "" } }), 400, "VALIDATION_ERROR");
    expect((await api("DELETE", path, { headers: bearer(session.access) })).status).toBe(200);
    expect(await passkeyRows(user.id)).toEqual([]);
  });

  it("never removes the last way to sign in: without a password, the only passkey stays (400)", async () => {
    const { session, passkey, user, authenticator } = await userWithPasskey();
    const second = await SoftAuthenticator.create();
    const options = (await registerOptions(session.access)).body.data;
    const added = await registerVerify(session.access, { response: await second.register(options) });
    // An account that signs in without a password (as one made by a social sign-in would).
    await testDb().update(users).set({ passwordHash: null }).where(eq(users.id, user.id));
    expect((await api("DELETE", `/auth/passkeys/${added.body.data.id}/`, { headers: bearer(session.access) })).status).toBe(200);
    const details = expectFailure(
      await api("DELETE", `/auth/passkeys/${passkey.id}/`, { headers: bearer(session.access) }),
      400,
      "VALIDATION_ERROR",
    );
    expect(details.non_field_errors?.[0]).toContain("last way to sign in");
    expect((await signIn(authenticator)).status).toBe(200);
  });

  it("removal needs a recent sign-in or the password, like registration", async () => {
    const { session, passkey, user } = await userWithPasskey();
    const later = createApp({ clock: { now: () => new Date(Date.now() + 11 * 60_000) } });
    const remove = (json?: Body) =>
      readResponse(
        later.fetch(buildRequest("DELETE", `/auth/passkeys/${passkey.id}/`, { headers: bearer(session.access), json }), env),
      );
    expectFailure(await remove(), 401, "REAUTHENTICATION_REQUIRED");
    expect((await remove({ password: user.password })).status).toBe(200);
  });

  it("deleting the account deletes its passkeys", async () => {
    const { session, user } = await userWithPasskey();
    const res = await api("DELETE", "/auth/user/delete/", { headers: bearer(session.access), json: { password: user.password } });
    expect(res.status, res.text).toBe(200);
    expect(await passkeyRows(user.id)).toEqual([]);
  });
});

describe("a passkey as the second factor: POST /auth/secure/2fa/verify/ {mfa_token, passkey}", () => {
  /** A user with a password and an authenticator app on, and a passkey. */
  async function twoFactorUserWithPasskey() {
    const { user, session, app } = await userWithTwoFactor();
    const authenticator = await SoftAuthenticator.create();
    const options = (await registerOptions(session.access)).body.data;
    expect((await registerVerify(session.access, { response: await authenticator.register(options) })).status).toBe(201);
    return { user, app, authenticator };
  }
  const passwordStep = async (user: { username: string; password: string }) =>
    (await api("POST", "/auth/user/login/", { json: { username: user.username, password: user.password } })).body.data;

  it("offers the passkey after the password (methods and passkey_options), and its assertion completes the login", async () => {
    const { user, authenticator } = await twoFactorUserWithPasskey();
    const step = await passwordStep(user);
    expect(step).toMatchObject({ mfa_required: true, methods: ["totp", "passkey"] });
    expect(step.passkey_options).toMatchObject({ rpId: "localhost", userVerification: "required", timeout: 300_000 });
    const res = await verify({ mfa_token: step.mfa_token, passkey: await authenticator.assert(step.passkey_options) });
    expect(res.status, res.text).toBe(200);
    expect((await check(res.body.data.access)).status).toBe(200);
    // The mfa_token is spent with it.
    expectFailure(
      await verify({ mfa_token: step.mfa_token, passkey: await authenticator.assert(step.passkey_options) }),
      401,
      "MFA_TOKEN_INVALID",
    );
  });

  it("refuses with OTP_INVALID a passkey answering another challenge, another account's passkey, and no user verification", async () => {
    const { user, authenticator } = await twoFactorUserWithPasskey();
    const stranger = await userWithPasskey();
    const step = await passwordStep(user);
    const elsewhere = (await loginOptions()).body.data;
    for (const passkey of [
      await authenticator.assert(elsewhere),
      await stranger.authenticator.assert(step.passkey_options),
      await authenticator.assert(step.passkey_options, { userVerified: false }),
    ]) {
      expectFailure(await verify({ mfa_token: step.mfa_token, passkey }), 400, "OTP_INVALID");
    }
  });

  it("does not offer a passkey to an account without one, and refuses one sent anyway", async () => {
    const { user } = await userWithTwoFactor();
    const step = await passwordStep(user);
    expect(Object.keys(step).sort()).toEqual(["methods", "mfa_required", "mfa_token"]);
    const { authenticator } = await userWithPasskey();
    const assertion = await authenticator.assert((await loginOptions()).body.data);
    expectFailure(await verify({ mfa_token: step.mfa_token, passkey: assertion }), 400, "OTP_INVALID");
  });
});

describe("with two-factor authentication on", () => {
  it("adding a passkey on a session older than 10 minutes takes the password and a current second factor", async () => {
    const { user, session, secret } = await userWithTwoFactor();
    const laterMs = Date.now() + 11 * 60_000;
    const later = createApp({ clock: { now: () => new Date(laterMs) } });
    const at = (json?: Body) =>
      readResponse(
        later.fetch(buildRequest("POST", "/auth/passkeys/register/options/", { headers: bearer(session.access), json }), env),
      );
    expectFailure(await at(), 401, "REAUTHENTICATION_REQUIRED");
    const details = expectFailure(await at({ password: user.password }), 400, "VALIDATION_ERROR");
    expect(details.non_field_errors?.[0]).toBeDefined();
    // The app's code of the step the server's clock is in.
    const code = await codeForStep(secret, Math.floor(laterMs / STEP_MS));
    expect((await at({ password: user.password, code })).status).toBe(200);
  });
});
