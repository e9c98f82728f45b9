// Two-factor authentication with an authenticator app (TOTP): setting it up, confirming it,
// logging in with a second step, recovery codes, turning it off, and what it survives.
//
// The worker runs on the real clock, so the tests compute codes the way an app does, from the
// secret the API hands out and Date.now(). A code the server accepted is never accepted again, so
// the tests' "app" (Authenticator below) hands out each 30 s step at most once, oldest first.
import { env } from "cloudflare:workers";
import { Client } from "@planetscale/database";
import { Secret, TOTP, URI } from "otpauth";
import { describe, expect, it, vi } from "vitest";
import wranglerToml from "../wrangler.toml?raw";
import {
  type ApiResponse,
  api,
  bearer,
  decodeJwt,
  eventually,
  expectFailure,
  expectSessionDead,
  latestCode,
  outbox,
  randomIp,
  type Session,
  testRedis,
  uniqueName,
  userRowById,
  userWithSession,
} from "./helpers.ts";
import {
  Authenticator,
  check,
  codeForStep,
  confirmTwoFactor,
  currentStep,
  disable,
  expectSuccess,
  expectWorkingPair,
  login,
  newRecoveryCodes,
  profile,
  STEP_MS,
  setupTwoFactor,
  sleep,
  verify,
} from "./two-factor-helpers.ts";

// A test may wait for the next 30 s step when it needs more fresh codes than the window holds.
vi.setConfig({ testTimeout: 75_000 });

/** Waits, when needed, until at least `ms` are left in the current 30 s step (then nothing crosses a step edge). */
async function awayFromStepEnd(ms = 10_000): Promise<void> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < ms) await sleep(left + 100);
}

/** A fresh user with a session and a started (not yet confirmed) setup. */
async function userWithPendingSetup() {
  const { user, session } = await userWithSession();
  const data = expectSuccess(await setupTwoFactor(session.access, { password: user.password }), "2fa setup successful");
  return { user, session, secret: data.secret as string, app: new Authenticator(data.secret), setup: data };
}

/** A fresh user with an authenticator app enabled; `session` is the pair the confirm handed out. */
async function userWithTwoFactor() {
  const { user, session, secret, app } = await userWithPendingSetup();
  const data = expectSuccess(await confirmTwoFactor(session.access, { code: await app.nextCode() }), "2fa confirm successful");
  return { user, secret, app, recoveryCodes: data.recovery_codes as string[], session: data.tokens as Session };
}

/** A recovery code of the same shape as `real` that is not it. */
const fakeRecoveryCode = (real: string) =>
  real.replace(/[A-Za-z0-9]/g, (c) => (/\d/.test(c) ? String((Number(c) + 1) % 10) : c === "a" || c === "A" ? "b" : "a"));

/** Logs in with the password and expects the second step: the mfa_token. */
async function mfaToken(user: { username: string; password: string }): Promise<string> {
  const res = await login(user.username, user.password);
  const data = expectSuccess(res, "login successful");
  expect(data).toMatchObject({ mfa_required: true, methods: ["totp"] });
  expect(typeof data.mfa_token).toBe("string");
  return data.mfa_token;
}

/** Logs in with both factors and returns the session. */
async function signIn(user: { username: string; password: string }, app: Authenticator): Promise<Session> {
  const token = await mfaToken(user);
  return expectSuccess(await verify({ mfa_token: token, code: await app.nextCode() }), "2fa verify successful");
}

/** The users row as MySQL has it (snake_case columns, whatever the schema module says). */
async function rawUserRow(id: string): Promise<Record<string, unknown>> {
  const { rows } = await new Client({ url: String(env.DATABASE_URL) }).execute("SELECT * FROM users WHERE id = ?", [id]);
  return rows[0] as Record<string, unknown>;
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

describe("POST /auth/user/login/ for a user with two-factor authentication", () => {
  it("answers mfa_required with an mfa_token and the enabled methods, never tokens, with Basic or JSON", async () => {
    const { user } = await userWithTwoFactor();
    for (const res of [
      await login(user.username, user.password),
      await api("POST", "/auth/user/login/", { json: { username: user.username, password: user.password } }),
      await api("POST", "/auth/user/login/", { json: { email: user.email, password: user.password } }),
    ]) {
      const data = expectSuccess(res, "login successful");
      expect(Object.keys(data).sort()).toEqual(["methods", "mfa_required", "mfa_token"]);
      expect(data).toMatchObject({ mfa_required: true, methods: ["totp"] });
      expect(data.mfa_token.length).toBeGreaterThanOrEqual(20);
    }
  });

  it("gives a different mfa_token on every login", async () => {
    const { user } = await userWithTwoFactor();
    expect(await mfaToken(user)).not.toBe(await mfaToken(user));
  });

  it("still refuses a wrong password with 401 INVALID_CREDENTIALS and no mfa_token", async () => {
    const { user } = await userWithTwoFactor();
    const res = await login(user.username, "Wrong-password-1");
    expectFailure(res, 401, "INVALID_CREDENTIALS");
    expect(res.text).not.toContain("mfa_token");
  });
});

describe("POST /auth/secure/2fa/verify/", () => {
  it("exchanges the mfa_token and a code from the app for the normal token pair", async () => {
    const { user, app } = await userWithTwoFactor();
    const token = await mfaToken(user);
    const data = expectSuccess(await verify({ mfa_token: token, code: await app.nextCode() }), "2fa verify successful");
    expect(Object.keys(data).sort()).toEqual(["access", "expires_in", "refresh", "token_type"]);
    await expectWorkingPair(data, user.id);
    expect(decodeJwt(data.access).payload).toMatchObject({ user_id: user.id, username: user.username, token_type: "access" });
  });

  it("uses an mfa_token once: a second verify, even with another valid code, is 401 MFA_TOKEN_INVALID", async () => {
    const { user, app } = await userWithTwoFactor();
    const token = await mfaToken(user);
    expectSuccess(await verify({ mfa_token: token, code: await app.nextCode() }), "2fa verify successful");
    expectFailure(await verify({ mfa_token: token, code: await app.nextCode() }), 401, "MFA_TOKEN_INVALID");
  });

  it("refuses an unknown mfa_token, or an access or refresh token in its place, with 401 MFA_TOKEN_INVALID", async () => {
    const { session, app } = await userWithTwoFactor();
    const code = app.codeAt(0);
    for (const mfa_token of ["garbage", "0".repeat(64), crypto.randomUUID()]) {
      expectFailure(await verify({ mfa_token, code }), 401, "MFA_TOKEN_INVALID");
    }
    // A JWT is no mfa_token (it may be refused for its length alone).
    for (const mfa_token of [session.access, session.refresh]) {
      const res = await verify({ mfa_token, code });
      expect(["401 MFA_TOKEN_INVALID", "400 VALIDATION_ERROR"]).toContain(`${res.status} ${res.body?.error?.code}`);
    }
  });

  it("counts wrong codes: 400 OTP_INVALID, the fifth starts the account's code lockout (429), and the token is dead even for the right code", async () => {
    const { user, app } = await userWithTwoFactor();
    const token = await mfaToken(user);
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await verify({ mfa_token: token, code: app.wrongCode() });
      seen.push(`${res.status} ${res.body?.error?.code}`);
    }
    const right = await verify({ mfa_token: token, code: await app.nextCode() });
    seen.push(`${right.status} ${right.body?.error?.code}`);
    // Wrong codes count toward the account's code lockout too (LOCKOUT_THRESHOLD, 5): the fifth
    // starts it, and the worn-out token is refused for what it is.
    expect(seen).toEqual([...Array(4).fill("400 OTP_INVALID"), "429 RATE_LIMITED", "401 MFA_TOKEN_INVALID"]);
  });

  it("lets the right code through after four wrong ones", async () => {
    const { user, app } = await userWithTwoFactor();
    const token = await mfaToken(user);
    for (let i = 0; i < 4; i++) expectFailure(await verify({ mfa_token: token, code: app.wrongCode() }), 400, "OTP_INVALID");
    expectSuccess(await verify({ mfa_token: token, code: await app.nextCode() }), "2fa verify successful");
  });

  it("never accepts the same code twice, even with a new mfa_token", async () => {
    const { user, app } = await userWithTwoFactor();
    const code = await app.nextCode();
    expectSuccess(await verify({ mfa_token: await mfaToken(user), code }), "2fa verify successful");
    expectFailure(await verify({ mfa_token: await mfaToken(user), code }), 400, "OTP_INVALID");
  });

  it("never accepts the code that confirmed the setup", async () => {
    const { user, session, app } = await userWithPendingSetup();
    const code = await app.nextCode();
    expectSuccess(await confirmTwoFactor(session.access, { code }), "2fa confirm successful");
    expectFailure(await verify({ mfa_token: await mfaToken(user), code }), 400, "OTP_INVALID");
  });

  it("accepts a code of the next 30 s step and refuses one two steps away", async () => {
    // Confirmed with the previous step's code, so the next step's is new to the server.
    const { user, session, app } = await userWithPendingSetup();
    await awayFromStepEnd();
    expectSuccess(await confirmTwoFactor(session.access, { code: app.codeAt(-1) }), "2fa confirm successful");
    const token = await mfaToken(user);
    expectFailure(await verify({ mfa_token: token, code: app.codeAt(2) }), 400, "OTP_INVALID");
    expectFailure(await verify({ mfa_token: token, code: app.codeAt(-2) }), 400, "OTP_INVALID");
    expectSuccess(await verify({ mfa_token: token, code: app.codeAt(1) }), "2fa verify successful");
  });

  it("accepts a code of the previous 30 s step (waits for a step to pass)", { timeout: 90_000 }, async () => {
    const { user, session, app } = await userWithPendingSetup();
    await awayFromStepEnd();
    const confirmedStep = currentStep() - 1;
    expectSuccess(
      await confirmTwoFactor(session.access, { code: codeForStep(app.secret, confirmedStep) }),
      "2fa confirm successful",
    );
    const token = await mfaToken(user);
    // Wait until confirmedStep + 1 is the previous step.
    await sleep((confirmedStep + 2) * STEP_MS - Date.now() + 200);
    await awayFromStepEnd();
    expect(currentStep()).toBe(confirmedStep + 2);
    expectSuccess(await verify({ mfa_token: token, code: codeForStep(app.secret, confirmedStep + 1) }), "2fa verify successful");
  });

  it("accepts each recovery code exactly once", async () => {
    const { user, recoveryCodes } = await userWithTwoFactor();
    const [first, second] = recoveryCodes as [string, string];
    const data = expectSuccess(await verify({ mfa_token: await mfaToken(user), recovery_code: first }), "2fa verify successful");
    await expectWorkingPair(data, user.id);
    expectFailure(await verify({ mfa_token: await mfaToken(user), recovery_code: first }), 400, "OTP_INVALID");
    // The others are untouched.
    expectSuccess(await verify({ mfa_token: await mfaToken(user), recovery_code: second }), "2fa verify successful");
  });

  it("refuses a made-up recovery code with OTP_INVALID", async () => {
    const { user, recoveryCodes } = await userWithTwoFactor();
    const fake = fakeRecoveryCode(recoveryCodes[0] as string);
    expectFailure(await verify({ mfa_token: await mfaToken(user), recovery_code: fake }), 400, "OTP_INVALID");
  });

  it("ties the mfa_token to its user: another user's code or recovery code does not work", async () => {
    const alice = await userWithTwoFactor();
    const bob = await userWithTwoFactor();
    const token = await mfaToken(alice.user);
    const bobCode = bob.app.codeAt(0);
    if (![-1, 0, 1].map((offset) => alice.app.codeAt(offset)).includes(bobCode)) {
      expectFailure(await verify({ mfa_token: token, code: bobCode }), 400, "OTP_INVALID");
    }
    expectFailure(await verify({ mfa_token: token, recovery_code: bob.recoveryCodes[0] }), 400, "OTP_INVALID");
    const data = expectSuccess(await verify({ mfa_token: token, code: await alice.app.nextCode() }), "2fa verify successful");
    expect(decodeJwt(data.access).payload.sub).toBe(alice.user.id);
  });

  it("refuses malformed bodies with 400 VALIDATION_ERROR, never a 500", async () => {
    const { user, app, recoveryCodes } = await userWithTwoFactor();
    const mfa_token = await mfaToken(user);
    const code = app.wrongCode();
    const malformed: unknown[] = [
      {},
      { code },
      { recovery_code: recoveryCodes[0] },
      { mfa_token },
      { mfa_token, code, recovery_code: recoveryCodes[0] },
      { mfa_token, code: "12345" },
      { mfa_token, code: "1234567" },
      { mfa_token, code: "abcdef" },
      { mfa_token, code: "" },
      { mfa_token, code: null },
      { mfa_token, code: ["123456"] },
      { mfa_token, code: { code } },
      { mfa_token, recovery_code: 12345678 },
      { mfa_token: 12345, code },
      { mfa_token: null, code },
      { mfa_token: ["a"], code },
      [],
      "text",
      42,
      null,
    ];
    for (const json of malformed) {
      const res = await verify(json);
      expect(res.status, `${JSON.stringify(json)?.slice(0, 80)} -> ${res.text}`).toBe(400);
      expect(res.body?.error?.code, `${JSON.stringify(json)?.slice(0, 80)} -> ${res.text}`).toBe("VALIDATION_ERROR");
    }
    // Borderline values are refused one way or another (a validation error, a wrong code, an unknown token), never a 500.
    for (const json of [
      { mfa_token, recovery_code: "" },
      { mfa_token, recovery_code: "x".repeat(10_000) },
      { mfa_token: "", code },
    ]) {
      const res = await verify(json);
      expect([400, 401], `${JSON.stringify(json).slice(0, 80)} -> ${res.text}`).toContain(res.status);
      expect(res.body?.success).toBe(false);
    }
    // Broken JSON is a 400 as well, and no body at all is refused without a 500.
    for (const body of [`{"mfa_token": "${mfa_token}", "code": "123456"} junk`, "{", ""]) {
      const broken = await api("POST", "/auth/secure/2fa/verify/", { body, headers: { "content-type": "application/json" } });
      expect(broken.status, `${body} -> ${broken.text}`).toBe(400);
      expect(broken.body?.success).toBe(false);
    }
    const none = await api("POST", "/auth/secure/2fa/verify/");
    expect(none.status, none.text).toBeGreaterThanOrEqual(400);
    expect(none.status, none.text).toBeLessThan(500);
  });

  it("is rate limited per client IP like login: the request after the limit is 429 RATE_LIMITED", {
    timeout: 90_000,
  }, async () => {
    const limit = Number(
      /name = "LOGIN_RATE_LIMITER"\s*\nnamespace_id = "\d+"\s*\nsimple = \{ limit = (\d+)/.exec(wranglerToml)?.[1],
    );
    expect(limit).toBeGreaterThan(0);
    // The local simulation counts in wall-clock minutes: start early enough in one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute + limit * 200 > 58_000) await sleep(60_000 - intoMinute + 100);
    const ip = randomIp();
    const headers = { "CF-Connecting-IP": ip };
    for (let i = 0; i < limit; i++) {
      expect((await verify({ mfa_token: `garbage-${i}`, code: "123456" }, headers)).status).not.toBe(429);
    }
    const refused = await verify({ mfa_token: "garbage", code: "123456" }, headers);
    expectFailure(refused, 429, "RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another client is unaffected.
    expectFailure(await verify({ mfa_token: "garbage", code: "123456" }), 401, "MFA_TOKEN_INVALID");
  });
});

describe("POST /auth/secure/2fa/verify/ under concurrent requests", () => {
  const outcome = (res: ApiResponse) => `${res.status} ${res.body?.error?.code ?? "ok"}`;

  it("spends an mfa_token once when two verifies race with valid codes", async () => {
    const { user, app } = await userWithTwoFactor();
    const token = await mfaToken(user);
    const [first, second] = [await app.nextCode(), await app.nextCode()];
    const results = await Promise.all([verify({ mfa_token: token, code: first }), verify({ mfa_token: token, code: second })]);
    const outcomes = results.map(outcome).sort();
    expect(outcomes[0]).toBe("200 ok");
    expect(outcomes[1]).not.toBe("200 ok");
    for (const res of results) expect(res.status, res.text).toBeLessThan(500);
  });

  it("accepts one code once when two logins race with it", async () => {
    const { user, app } = await userWithTwoFactor();
    const [a, b] = [await mfaToken(user), await mfaToken(user)];
    const code = await app.nextCode();
    const results = await Promise.all([verify({ mfa_token: a, code }), verify({ mfa_token: b, code })]);
    expect(results.map(outcome).sort()).toEqual(["200 ok", "400 OTP_INVALID"]);
  });

  it("accepts one recovery code once when two logins race with it", async () => {
    const { user, recoveryCodes } = await userWithTwoFactor();
    const [a, b] = [await mfaToken(user), await mfaToken(user)];
    const recovery_code = recoveryCodes[5];
    const results = await Promise.all([verify({ mfa_token: a, recovery_code }), verify({ mfa_token: b, recovery_code })]);
    expect(results.map(outcome).sort()).toEqual(["200 ok", "400 OTP_INVALID"]);
  });

  it("never takes an mfa_token for a Bearer token", async () => {
    const { user } = await userWithTwoFactor();
    const token = await mfaToken(user);
    expect((await check(token)).status).toBe(401);
    expect((await profile(token)).status).toBe(401);
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

describe("the mfa_token's lifetime", () => {
  it("lives 5 minutes in Redis, as a digest only, and is refused once expired", async () => {
    const { user, app } = await userWithTwoFactor();
    const token = await mfaToken(user);
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))]
      .map((byte) => byte.toString(16).padStart(2, "0"))
      .join("");
    const redis = testRedis();
    const ttl = Number(await redis.pttl(`mfa:${digest}`));
    expect(ttl).toBeGreaterThan(290_000);
    expect(ttl).toBeLessThanOrEqual(300_000);
    expect(await redis.exists(`mfa:${token}`)).toBe(0);
    // Expire it now rather than wait five minutes.
    await redis.pexpire(`mfa:${digest}`, 1);
    await sleep(20);
    expectFailure(await verify({ mfa_token: token, code: await app.nextCode() }), 401, "MFA_TOKEN_INVALID");
  });
});

describe("what two-factor authentication survives", () => {
  const NEW = "Another-passphrase-42";

  it("a password reset leaves it on", async () => {
    const { user } = await userWithTwoFactor();
    // The confirm's notice is mailed after its response: let it arrive before counting.
    await eventually(async () => (await outbox(user.email)).length > 0);
    const before = (await outbox(user.email)).length;
    expect((await api("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const otp = await latestCode(user.email, before);
    const done = await api("POST", "/auth/password/reset/", { json: { email: user.email, otp, password1: NEW, password2: NEW } });
    expect(done.status, done.text).toBe(200);
    expect(done.text).not.toMatch(/"access"|"refresh"/);
    await mfaToken({ username: user.username, password: NEW });
  });

  it("an email change hands out no tokens and leaves it on", async () => {
    const { user, session } = await userWithTwoFactor();
    const newEmail = `${uniqueName("moved")}@example.com`;
    const start = await api("POST", "/auth/user/email/change/", {
      headers: bearer(session.access),
      json: { new_email: newEmail, password: user.password },
    });
    expect(start.status, start.text).toBe(200);
    const done = await api("POST", "/auth/user/email/confirm/", {
      headers: bearer(session.access),
      json: { otp: await latestCode(newEmail) },
    });
    expect(done.status, done.text).toBe(200);
    expect(done.text).not.toMatch(/"access"|"refresh"/);
    await mfaToken({ username: user.username, password: user.password });
  });

  it("a password change leaves it on", async () => {
    const { user, session } = await userWithTwoFactor();
    const res = await api("POST", "/auth/password/change/", {
      headers: bearer(session.access),
      json: { old_password: user.password, password1: NEW, password2: NEW },
    });
    expect(res.status, res.text).toBe(200);
    await mfaToken({ username: user.username, password: NEW });
  });

  it("logout everywhere leaves it on", async () => {
    const { user, session } = await userWithTwoFactor();
    expect((await api("POST", "/auth/user/logout-all/", { headers: bearer(session.access) })).status).toBe(200);
    await mfaToken(user);
  });

  it("account deletion removes it with the account", async () => {
    const { user, session } = await userWithTwoFactor();
    const res = await api("DELETE", "/auth/user/delete/", { headers: bearer(session.access), json: { password: user.password } });
    expect(res.status, res.text).toBe(200);
    expect(await userRowById(user.id)).toBeUndefined();
    expectFailure(await login(user.username, user.password), 401, "INVALID_CREDENTIALS");
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
