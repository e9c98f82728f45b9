// Two-factor authentication with an authenticator app (TOTP): setting it up, confirming it,
// recovery codes, turning it off, and the secrets at rest (logging in with it: two-factor-login).
//
// The worker runs on the real clock, so the tests compute codes the way an app does, from the
// secret the API hands out and Date.now(). A code the server accepted is never accepted again, so
// the tests' "app" (Authenticator below) hands out each 30 s step at most once, oldest first.
import { env } from "cloudflare:workers";
import { Client } from "@planetscale/database";
import { Secret, TOTP, URI } from "otpauth";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app.ts";
import { createSecretBox } from "../src/lib/secret-box.ts";
import {
  api,
  basic,
  bearer,
  buildRequest,
  eventually,
  expectFailure,
  expectSessionDead,
  outbox,
  readResponse,
  type Session,
  userWithSession,
} from "./helpers.ts";
import {
  Authenticator,
  awayFromStepEnd,
  check,
  confirmTwoFactor,
  disable,
  expectSuccess,
  expectWorkingPair,
  fakeRecoveryCode,
  login,
  mfaToken,
  newRecoveryCodes,
  profile,
  setupTwoFactor,
  signIn,
  userWithPendingSetup,
  userWithTwoFactor,
  verify,
} from "./two-factor-helpers.ts";

// A test may wait for the next 30 s step when it needs more fresh codes than the window holds.
vi.setConfig({ testTimeout: 75_000 });

/** The users row as MySQL has it (snake_case columns, whatever the schema module says). */
async function rawUserRow(id: string): Promise<Record<string, unknown>> {
  const { rows } = await new Client({ url: String(env.DATABASE_URL) }).execute("SELECT * FROM users WHERE id = ?", [id]);
  return rows[0] as Record<string, unknown>;
}

/** Runs an SQL statement on the test database (to tamper with a row as an attacker or a mistake would). */
async function execute(sql: string, params: unknown[]): Promise<void> {
  await new Client({ url: String(env.DATABASE_URL) }).execute(sql, params);
}

// The worker under other TOTP keys, called directly. Each bindings object is made once: the
// config is parsed once per object.
const CURRENT_KEY = String(env.TOTP_ENCRYPTION_KEY);
const NEXT_KEY = "bmV4dC10b3RwLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=";
const GONE_KEY = "Z29uZS10b3RwLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=";
const KEYS = {
  /** Mid-rotation: the new key seals, the current one is still opened. */
  rotating: { ...env, TOTP_ENCRYPTION_KEY: NEXT_KEY, TOTP_PREVIOUS_ENCRYPTION_KEYS: CURRENT_KEY },
  /** After the rotation: the new key alone. */
  rotated: { ...env, TOTP_ENCRYPTION_KEY: NEXT_KEY },
  /** A key the service no longer has (the test worker does not know it). */
  gone: { ...env, TOTP_ENCRYPTION_KEY: GONE_KEY },
};
const worker = createApp();
const send = (target: object, method: string, path: string, options: Parameters<typeof buildRequest>[2] = {}) =>
  readResponse(worker.fetch(buildRequest(method, path, options), target));

/** The key id part of a sealed value (`v1.<key id>.<iv>.<ciphertext>`). */
const keyIdOf = (sealed: string) => sealed.split(".")[1];
/** The key id a key seals under. */
const keyIdUnder = async (key: string) => keyIdOf(await createSecretBox(key, []).seal("x", "owner"));

/** A fresh user who enrolled an authenticator app while the service had only `target`'s key. */
async function userEnrolledUnder(target: object) {
  const { user, session } = await userWithSession();
  const setup = expectSuccess(
    await send(target, "POST", "/auth/secure/2fa/setup/", { headers: bearer(session.access), json: { password: user.password } }),
    "2fa setup successful",
  );
  const app = new Authenticator(setup.secret);
  const confirmed = expectSuccess(
    await send(target, "POST", "/auth/secure/2fa/confirm/", {
      headers: bearer(session.access),
      json: { code: await app.nextCode() },
    }),
    "2fa confirm successful",
  );
  return { user, app, recoveryCodes: confirmed.recovery_codes as string[], session: confirmed.tokens as Session };
}

/** Logs in and answers with the next code, both through the worker with `target`'s keys. */
async function signInUnder(target: object, user: { username: string; password: string }, app: Authenticator) {
  const first = expectSuccess(
    await send(target, "POST", "/auth/user/login/", { headers: basic(user.username, user.password) }),
    "login successful",
  );
  return send(target, "POST", "/auth/secure/2fa/verify/", { json: { mfa_token: first.mfa_token, code: await app.nextCode() } });
}

/** The forms a secret could be written in clear: base32 (either case), hex, base64. */
function clearForms(base32: string): string[] {
  const bytes = Secret.fromBase32(base32).bytes;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const base64 = btoa(String.fromCharCode(...bytes));
  return [base32, base32.toLowerCase(), hex, hex.toUpperCase(), base64, base64.replace(/=+$/, "")];
}

/** Every column of the row as text (binary columns also as latin1, so raw bytes are seen too). */
function columnTexts(row: Record<string, unknown>): string[] {
  return Object.values(row).flatMap((value) => {
    if (value instanceof Uint8Array) return [new TextDecoder().decode(value), String.fromCharCode(...value)];
    return [typeof value === "string" ? value : (JSON.stringify(value) ?? "")];
  });
}

const TWO_FACTOR_COLUMNS = ["totp_secret", "totp_pending_secret", "recovery_codes", "two_factor_methods", "totp_last_step"];

describe("POST /auth/secure/2fa/setup/", () => {
  it("returns a new 160-bit secret with its otpauth:// URI and QR code, and enables nothing yet", async () => {
    const { user, session, secret, setup } = await userWithPendingSetup();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(Secret.fromBase32(secret).bytes).toHaveLength(20);

    expect(setup.otpauth_uri).toMatch(/^otpauth:\/\/totp\//);
    expect(setup.otpauth_uri).toContain(`secret=${secret}`);
    const parsed = URI.parse(setup.otpauth_uri);
    expect(parsed).toBeInstanceOf(TOTP);
    expect(parsed).toMatchObject({ algorithm: "SHA1", digits: 6, period: 30 });
    expect(parsed.secret.base32).toBe(secret);

    expect(setup.qr_svg).toMatch(/^data:image\/svg\+xml;base64,[A-Za-z0-9+/]+=*$/);
    expect(atob(setup.qr_svg.slice("data:image/svg+xml;base64,".length))).toContain("<svg");

    // Nothing is enabled until a code confirms the app has the secret.
    const plain = expectSuccess(await login(user.username, user.password), "login successful");
    expect(plain).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect(plain.mfa_required).toBeUndefined();
    const me = expectSuccess(await profile(session.access), "profile detail successful");
    expect(me).toMatchObject({ two_factor_enabled: false, two_factor_methods: [] });
    expect((await check(session.access)).status).toBe(200);
  });

  it("hands out a different secret on every setup", async () => {
    const { user, session, secret } = await userWithPendingSetup();
    const again = expectSuccess(await setupTwoFactor(session.access, { password: user.password }), "2fa setup successful");
    expect(again.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(again.secret).not.toBe(secret);
  });

  it("refuses a wrong or missing password, naming password", async () => {
    const { user, session } = await userWithSession();
    expect(
      expectFailure(await setupTwoFactor(session.access, { password: "Wrong-password-1" }), 400, "VALIDATION_ERROR").password,
    ).toBeDefined();
    expect(expectFailure(await setupTwoFactor(session.access, {}), 400, "VALIDATION_ERROR").password).toBeDefined();
    // Nothing was started: there is nothing to confirm.
    expectFailure(await confirmTwoFactor(session.access, { code: "123456" }), 400, "VALIDATION_ERROR");
    expect((await login(user.username, user.password)).body.data.access).toBeDefined();
  });

  it("refuses when an authenticator app is already enabled, with non_field_errors", async () => {
    const { user, session } = await userWithTwoFactor();
    const details = expectFailure(await setupTwoFactor(session.access, { password: user.password }), 400, "VALIDATION_ERROR");
    expect(details.non_field_errors?.length).toBeGreaterThan(0);
  });

  it("needs authentication", async () => {
    const res = await api("POST", "/auth/secure/2fa/setup/", { json: { password: "Tr1cky-Passphrase" } });
    expect(res.status).toBe(401);
    expect(res.body.success).toBe(false);
  });
});

describe("POST /auth/secure/2fa/confirm/", () => {
  it("enables TOTP with a code from the app: 10 recovery codes, a fresh pair, and login asks for a second step", async () => {
    const { user, session, secret, app } = await userWithPendingSetup();
    const res = await confirmTwoFactor(session.access, { code: await app.nextCode() });
    const data = expectSuccess(res, "2fa confirm successful");
    expect(data.recovery_codes).toHaveLength(10);
    for (const code of data.recovery_codes) expect(typeof code).toBe("string");
    expect(new Set(data.recovery_codes).size).toBe(10);
    expect(
      Math.min(...data.recovery_codes.map((code: string) => code.replace(/[^A-Za-z0-9]/g, "").length)),
    ).toBeGreaterThanOrEqual(8);
    await expectWorkingPair(data.tokens, user.id);
    expect(res.text).not.toContain(secret);

    const me = await profile(data.tokens.access);
    expect(expectSuccess(me, "profile detail successful")).toMatchObject({
      two_factor_enabled: true,
      two_factor_methods: ["totp"],
    });
    expect(me.text).not.toContain(secret);

    const second = await login(user.username, user.password);
    expect(second.body).toMatchObject({ success: true, message: "login successful", error: null });
    expect(second.body.data).toMatchObject({ mfa_required: true, methods: ["totp"] });
    expect(second.body.data.mfa_token).toEqual(expect.any(String));
    expect(second.body.data.access).toBeUndefined();
    expect(second.body.data.refresh).toBeUndefined();
    expect(second.text).not.toContain(secret);
  });

  it("revokes every other session and the caller's old tokens; the caller goes on with the fresh pair", async () => {
    const { user, session: caller, app } = await userWithPendingSetup();
    const other = (await login(user.username, user.password)).body.data as Session;
    const data = expectSuccess(await confirmTwoFactor(caller.access, { code: await app.nextCode() }), "2fa confirm successful");
    await expectSessionDead(other);
    expectFailure(
      await api("POST", "/auth/jwt/get-refresh/", { json: { refresh: other.refresh } }),
      400,
      "INVALID_REFRESH_TOKEN",
    );
    await expectSessionDead(caller);
    await expectWorkingPair(data.tokens, user.id);
    expect((await api("POST", "/auth/jwt/get-refresh/", { json: { refresh: data.tokens.refresh } })).status).toBe(200);
  });

  it("mails the user a notice that two-factor authentication was turned on, without the secret or codes", async () => {
    const { user, session, secret, app } = await userWithPendingSetup();
    const data = expectSuccess(await confirmTwoFactor(session.access, { code: await app.nextCode() }), "2fa confirm successful");
    const notice = await eventually(async () =>
      (await outbox(user.email)).find((message) => /two-factor|2fa|two factor/i.test(`${message.subject}\n${message.text}`)),
    );
    expect(notice, "no two-factor notice in the outbox").toBeDefined();
    for (const clear of [secret, ...data.recovery_codes]) expect(`${notice?.subject}\n${notice?.text}`).not.toContain(clear);
  });

  it("refuses a wrong code with OTP_INVALID and enables nothing; the right code then works", async () => {
    const { user, session, app } = await userWithPendingSetup();
    expectFailure(await confirmTwoFactor(session.access, { code: app.wrongCode() }), 400, "OTP_INVALID");
    expect((await login(user.username, user.password)).body.data.access).toBeDefined();
    expect((await check(session.access)).status).toBe(200);
    expectSuccess(await confirmTwoFactor(session.access, { code: await app.nextCode() }), "2fa confirm successful");
  });

  it("refuses a confirm without a pending setup, or without a code, with VALIDATION_ERROR", async () => {
    const { session } = await userWithSession();
    expectFailure(await confirmTwoFactor(session.access, { code: "123456" }), 400, "VALIDATION_ERROR");
    const pending = await userWithPendingSetup();
    expectFailure(await confirmTwoFactor(pending.session.access, {}), 400, "VALIDATION_ERROR");
    expectFailure(await confirmTwoFactor(pending.session.access, { code: "12345" }), 400, "VALIDATION_ERROR");
  });

  it("confirms the latest setup's secret only", async () => {
    const { user, session, app: first } = await userWithPendingSetup();
    const again = expectSuccess(await setupTwoFactor(session.access, { password: user.password }), "2fa setup successful");
    const second = new Authenticator(again.secret);
    const stale = await first.nextCode();
    if (!Array.from({ length: 3 }, (_, i) => second.codeAt(i - 1)).includes(stale)) {
      expectFailure(await confirmTwoFactor(session.access, { code: stale }), 400, "OTP_INVALID");
    }
    expectSuccess(await confirmTwoFactor(session.access, { code: await second.nextCode() }), "2fa confirm successful");
  });

  it("accepts a code of the previous or the next 30 s step, not one two steps away", async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => userWithPendingSetup()));
    await awayFromStepEnd();
    const [previous, next, twoBack, twoAhead] = users as [
      Awaited<ReturnType<typeof userWithPendingSetup>>,
      Awaited<ReturnType<typeof userWithPendingSetup>>,
      Awaited<ReturnType<typeof userWithPendingSetup>>,
      Awaited<ReturnType<typeof userWithPendingSetup>>,
    ];
    expectSuccess(await confirmTwoFactor(previous.session.access, { code: previous.app.codeAt(-1) }), "2fa confirm successful");
    expectSuccess(await confirmTwoFactor(next.session.access, { code: next.app.codeAt(1) }), "2fa confirm successful");
    expectFailure(await confirmTwoFactor(twoBack.session.access, { code: twoBack.app.codeAt(-2) }), 400, "OTP_INVALID");
    expectFailure(await confirmTwoFactor(twoAhead.session.access, { code: twoAhead.app.codeAt(2) }), 400, "OTP_INVALID");
  });

  it("needs authentication", async () => {
    const res = await api("POST", "/auth/secure/2fa/confirm/", { json: { code: "123456" } });
    expect(res.status).toBe(401);
    expect(res.body.success).toBe(false);
  });
});

describe("POST /auth/secure/2fa/disable/", () => {
  it("needs the password and a code; refusals change nothing", async () => {
    const { user, session, app, recoveryCodes } = await userWithTwoFactor();
    const wrongPassword = await disable(session.access, { password: "Wrong-password-1", code: app.codeAt(0) });
    expect(expectFailure(wrongPassword, 400, "VALIDATION_ERROR").password).toBeDefined();
    expectFailure(await disable(session.access, { password: user.password, code: app.wrongCode() }), 400, "OTP_INVALID");
    expectFailure(
      await disable(session.access, { password: user.password, recovery_code: fakeRecoveryCode(recoveryCodes[0] as string) }),
      400,
      "OTP_INVALID",
    );
    expectFailure(await disable(session.access, { password: user.password }), 400, "VALIDATION_ERROR");
    expectFailure(await disable(session.access, { code: app.codeAt(0) }), 400, "VALIDATION_ERROR");
    expectFailure(await disable(session.access, {}), 400, "VALIDATION_ERROR");
    // Still on, and the session was not touched.
    expect((await check(session.access)).status).toBe(200);
    await mfaToken(user);
  });

  it("turns 2FA off with a code: a fresh pair, other sessions revoked, and login gives tokens directly again", async () => {
    const { user, session, app } = await userWithTwoFactor();
    const other = await signIn(user, app);
    const res = await disable(session.access, { password: user.password, code: await app.nextCode() });
    const data = expectSuccess(res, "2fa disable successful");
    await expectWorkingPair(data.tokens, user.id);
    await expectSessionDead(other);
    await expectSessionDead(session);

    const plain = expectSuccess(await login(user.username, user.password), "login successful");
    expect(plain).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect(plain.mfa_required).toBeUndefined();
    expect(expectSuccess(await profile(data.tokens.access), "profile detail successful")).toMatchObject({
      two_factor_enabled: false,
      two_factor_methods: [],
    });
    // It can be set up again, with a new secret.
    const again = expectSuccess(await setupTwoFactor(data.tokens.access, { password: user.password }), "2fa setup successful");
    expect(again.secret).not.toBe(app.secret);
  });

  it("turns 2FA off with a recovery code", async () => {
    const { user, session, recoveryCodes } = await userWithTwoFactor();
    const data = expectSuccess(
      await disable(session.access, { password: user.password, recovery_code: recoveryCodes[3] }),
      "2fa disable successful",
    );
    await expectWorkingPair(data.tokens, user.id);
    expect((await login(user.username, user.password)).body.data.access).toBeDefined();
  });

  it("needs authentication", async () => {
    const res = await api("POST", "/auth/secure/2fa/disable/", { json: { password: "x", code: "123456" } });
    expect(res.status).toBe(401);
    expect(res.body.success).toBe(false);
  });
});

describe("POST /auth/secure/2fa/recovery-codes/", () => {
  it("replaces the recovery codes: the old ones stop working, the new ones work", async () => {
    const { user, session, app, recoveryCodes: old } = await userWithTwoFactor();
    const other = await signIn(user, app);
    const data = expectSuccess(
      await newRecoveryCodes(session.access, { password: user.password, code: await app.nextCode() }),
      "2fa recovery codes successful",
    );
    expect(data.recovery_codes).toHaveLength(10);
    expect(new Set(data.recovery_codes).size).toBe(10);
    for (const code of data.recovery_codes) expect(old).not.toContain(code);
    await expectWorkingPair(data.tokens, user.id);
    await expectSessionDead(other);

    expectFailure(await verify({ mfa_token: await mfaToken(user), recovery_code: old[0] }), 400, "OTP_INVALID");
    expectSuccess(
      await verify({ mfa_token: await mfaToken(user), recovery_code: data.recovery_codes[0] }),
      "2fa verify successful",
    );
    // Still enabled.
    await mfaToken(user);
  });

  it("accepts a recovery code as the proof, which is then used up with the rest", async () => {
    const { user, session, recoveryCodes: old } = await userWithTwoFactor();
    const data = expectSuccess(
      await newRecoveryCodes(session.access, { password: user.password, recovery_code: old[0] }),
      "2fa recovery codes successful",
    );
    expect(data.recovery_codes).toHaveLength(10);
    expectFailure(await verify({ mfa_token: await mfaToken(user), recovery_code: old[1] }), 400, "OTP_INVALID");
  });

  it("needs the password and a code", async () => {
    const { user, session, app, recoveryCodes } = await userWithTwoFactor();
    expect(
      expectFailure(
        await newRecoveryCodes(session.access, { password: "Wrong-password-1", code: app.codeAt(0) }),
        400,
        "VALIDATION_ERROR",
      ).password,
    ).toBeDefined();
    expectFailure(await newRecoveryCodes(session.access, { password: user.password, code: app.wrongCode() }), 400, "OTP_INVALID");
    expectFailure(await newRecoveryCodes(session.access, { password: user.password }), 400, "VALIDATION_ERROR");
    // The old codes are all still good.
    expectSuccess(await verify({ mfa_token: await mfaToken(user), recovery_code: recoveryCodes[9] }), "2fa verify successful");
  });

  it("needs authentication", async () => {
    const res = await api("POST", "/auth/secure/2fa/recovery-codes/", { json: { password: "x", code: "123456" } });
    expect(res.status).toBe(401);
    expect(res.body.success).toBe(false);
  });
});

describe("two-factor secrets at rest", () => {
  it("keeps a pending secret out of the users row in clear", async () => {
    const { user, secret } = await userWithPendingSetup();
    const row = await rawUserRow(user.id);
    for (const column of TWO_FACTOR_COLUMNS) expect(row).toHaveProperty(column);
    expect(row.totp_pending_secret).toBeTruthy();
    const texts = columnTexts(row);
    for (const clear of clearForms(secret)) for (const text of texts) expect(text).not.toContain(clear);
  });

  it("keeps the enabled secret and the recovery codes out of the users row in clear", async () => {
    const { user, secret, recoveryCodes } = await userWithTwoFactor();
    const row = await rawUserRow(user.id);
    for (const column of TWO_FACTOR_COLUMNS) expect(row).toHaveProperty(column);
    expect(row.totp_secret).toBeTruthy();
    expect(row.recovery_codes).toBeTruthy();
    const texts = columnTexts(row);
    const recoveryForms = recoveryCodes.flatMap((code) => [
      code,
      code.replace(/[^A-Za-z0-9]/g, ""),
      code.toLowerCase(),
      code.toUpperCase(),
    ]);
    for (const clear of [...clearForms(secret), ...recoveryForms]) {
      for (const text of texts) expect(text).not.toContain(clear);
    }
  });
});

describe("the sealed secret's binding to its user and key", () => {
  it("does not open in another user's row: a secret copied there signs in no one (OTP_INVALID), and that user's recovery codes still work", async () => {
    const alice = await userWithTwoFactor();
    const bob = await userWithTwoFactor();
    const sealed = (await rawUserRow(alice.user.id)).totp_secret;
    await execute("UPDATE users SET totp_secret = ?, totp_last_step = 0 WHERE id = ?", [sealed, bob.user.id]);
    const token = await mfaToken(bob.user);
    expectFailure(await verify({ mfa_token: token, code: await alice.app.nextCode() }), 400, "OTP_INVALID");
    expectSuccess(await verify({ mfa_token: token, recovery_code: bob.recoveryCodes[0] }), "2fa verify successful");
  });

  it("opens a secret sealed under a key now in TOTP_PREVIOUS_ENCRYPTION_KEYS, and seals it under the new key at its next accepted code", async () => {
    const { user, app } = await userWithTwoFactor();
    const before = String((await rawUserRow(user.id)).totp_secret);
    expect(keyIdOf(before)).toBe(await keyIdUnder(CURRENT_KEY));

    expectSuccess(await signInUnder(KEYS.rotating, user, app), "2fa verify successful");
    const after = String((await rawUserRow(user.id)).totp_secret);
    expect(after).not.toBe(before);
    expect(keyIdOf(after)).toBe(await keyIdUnder(NEXT_KEY));
    // The previous key can go now: the new key alone opens it.
    expectSuccess(await signInUnder(KEYS.rotated, user, app), "2fa verify successful");
  });
});

describe("a sealed secret that does not open (its key gone, or the row tampered with)", () => {
  it("refuses the app's code at verify with 400 OTP_INVALID, never a 500, and logs an error without the secret", async () => {
    const { user, app, recoveryCodes } = await userEnrolledUnder(KEYS.gone);
    const sealed = String((await rawUserRow(user.id)).totp_secret);
    const token = await mfaToken(user);
    const code = await app.nextCode();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    let res: Awaited<ReturnType<typeof send>>;
    let logged: string[];
    try {
      res = await send(env, "POST", "/auth/secure/2fa/verify/", { json: { mfa_token: token, code } });
    } finally {
      logged = errors.mock.calls.map((call) => call.join(" "));
      errors.mockRestore();
    }
    expectFailure(res, 400, "OTP_INVALID");
    const lines = logged.filter((line) => line.includes("totp_secret_unreadable"));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: "error", event: "totp_secret_unreadable", user_id: user.id });
    for (const secret of [...clearForms(app.secret), sealed, code]) expect(lines[0]).not.toContain(secret);
    // The other proofs still work.
    expectSuccess(await verify({ mfa_token: token, recovery_code: recoveryCodes[0] }), "2fa verify successful");
  });

  it("refuses the app's code as the proof for disable with 400 OTP_INVALID; a recovery code still turns 2FA off", async () => {
    const { user, app, session, recoveryCodes } = await userEnrolledUnder(KEYS.gone);
    expectFailure(await disable(session.access, { password: user.password, code: await app.nextCode() }), 400, "OTP_INVALID");
    expectSuccess(
      await disable(session.access, { password: user.password, recovery_code: recoveryCodes[0] }),
      "2fa disable successful",
    );
  });

  it("refuses to confirm a pending setup that does not open with 400 VALIDATION_ERROR (start again); a new setup works", async () => {
    const { user, session } = await userWithSession();
    const stale = expectSuccess(
      await send(KEYS.gone, "POST", "/auth/secure/2fa/setup/", {
        headers: bearer(session.access),
        json: { password: user.password },
      }),
      "2fa setup successful",
    );
    const details = expectFailure(
      await confirmTwoFactor(session.access, { code: await new Authenticator(stale.secret).nextCode() }),
      400,
      "VALIDATION_ERROR",
    );
    expect(details.non_field_errors?.[0]).toMatch(/setup/);
    const fresh = expectSuccess(await setupTwoFactor(session.access, { password: user.password }), "2fa setup successful");
    expectSuccess(
      await confirmTwoFactor(session.access, { code: await new Authenticator(fresh.secret).nextCode() }),
      "2fa confirm successful",
    );
  });
});

describe("the two-factor settings after logout", () => {
  it("refuse the logged-out access token with 401 INVALID_TOKEN on every route", async () => {
    const { user, session } = await userWithSession();
    const out = await api("POST", "/auth/user/logout/", { headers: bearer(session.access), json: { refresh: session.refresh } });
    expect(out.status).toBe(200);
    const password = user.password;
    const calls: [path: string, json: unknown][] = [
      ["/auth/secure/2fa/setup/", { password }],
      ["/auth/secure/2fa/confirm/", { code: "123456" }],
      ["/auth/secure/2fa/disable/", { password, code: "123456" }],
      ["/auth/secure/2fa/recovery-codes/", { password, code: "123456" }],
      ["/auth/secure/2fa/methods/", { password, method: "email", enabled: true }],
      ["/auth/secure/2fa/code/", { method: "email" }],
    ];
    for (const [path, json] of calls) {
      expectFailure(await api("POST", path, { headers: bearer(session.access), json }), 401, "INVALID_TOKEN");
    }
    // Nothing was started: no setup is pending.
    expect((await rawUserRow(user.id)).totp_pending_secret).toBeNull();
  });
});
