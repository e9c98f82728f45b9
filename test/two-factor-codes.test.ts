// SMS and email as second factors: turning them on and off (POST /auth/secure/2fa/methods/),
// logging in with a code sent by SMS or email (POST /auth/secure/2fa/verify/ with `method`, then
// with `code`), and a code sent to a signed-in user (POST /auth/secure/2fa/code/) as the proof
// for turning 2FA off or making new recovery codes.
//
// Codes are read from the dev outbox, as a developer would: SMS messages arrive under the phone
// number in E.164 (subject "SMS"), mails under the address. Every test uses a fresh user with a
// phone number of its own, so nothing another test sends can be mistaken for its code.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app.ts";
import { users } from "../src/db/schema.ts";
import {
  type ApiResponse,
  api,
  basic,
  bearer,
  buildRequest,
  eventually,
  expectFailure,
  expectSessionDead,
  messageTo,
  outbox,
  readResponse,
  type Session,
  testDb,
  userWithSession,
} from "./helpers.ts";
import {
  Authenticator,
  check,
  disable,
  expectSuccess,
  expectWorkingPair,
  login,
  newRecoveryCodes,
  profile,
  sendSettingsCode,
  setMethod,
  verify,
} from "./two-factor-helpers.ts";

// The TOTP test may wait for the next 30 s step; the rest are quick.
vi.setConfig({ testTimeout: 75_000 });

type Message = Awaited<ReturnType<typeof outbox>>[number];
type Method = "sms" | "email";

const SIGN_IN_SUBJECT = "Your LoginSystem Edge sign-in code";
const isSignInSms = (m: Message) => m.subject === "SMS" && m.text.includes("sign-in code");
const isSignInMail = (m: Message) => m.subject === SIGN_IN_SUBJECT;
const isPhoneVerifySms = (m: Message) => m.subject === "SMS" && m.text.includes("phone verification code");
const isEmailVerifyMail = (m: Message) => m.subject.startsWith("Verify your email address");
const isTwoFactorNotice = (m: Message) => /two-factor/i.test(m.subject);

/** An Indian mobile number no other test uses (local form) and its E.164 form, where SMS arrive. */
function newPhone() {
  const local = `98${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;
  return { local, e164: `+91${local}` };
}

/** Runs `send`, then waits for a new message to `to` that `matches`, and returns its 6-digit code. */
async function codeSentTo(to: string, matches: (m: Message) => boolean, send: () => Promise<ApiResponse>) {
  const before = (await outbox(to)).filter(matches).length;
  const res = await send();
  if (res.status !== 200) throw new Error(`sending a code failed: ${res.status} ${res.text}`);
  const message = await eventually(async () => {
    const found = (await outbox(to)).filter(matches);
    return found.length > before ? found[0] : undefined;
  });
  const code = /\b(\d{6})\b/.exec(message?.text ?? "")?.[1];
  if (!code) throw new Error(`no code arrived for ${to}`);
  return { res, code, message: message as Message };
}

type User = Awaited<ReturnType<typeof userWithSession>>["user"];

/** A fresh user whose phone number (sent at signup) is verified by the code texted to it. */
async function userWithVerifiedPhone() {
  const phone = newPhone();
  const { user, session } = await userWithSession({ country_alpha_code: "IN", phone_number: phone.local });
  const { code } = await codeSentTo(phone.e164, isPhoneVerifySms, () =>
    api("POST", "/auth/verify/phone/", { headers: bearer(session.access) }),
  );
  const confirmed = await api("POST", "/auth/confirm/phone/", { headers: bearer(session.access), json: { otp: code } });
  expect(confirmed.status, confirmed.text).toBe(200);
  return { user, session, phone };
}

/** Verifies the user's email address with the code mailed to it. */
async function verifyEmail(user: User, access: string) {
  const { code } = await codeSentTo(user.email, isEmailVerifyMail, () =>
    api("POST", "/auth/verify/email/", { headers: bearer(access) }),
  );
  const confirmed = await api("POST", "/auth/confirm/email/", { headers: bearer(access), json: { otp: code } });
  expect(confirmed.status, confirmed.text).toBe(200);
}

/**
 * The number replaced and unverified without the API (the API refuses while SMS is a second factor):
 * what the service must still handle for rows changed before that rule, or by an operator.
 */
async function numberChangedElsewhere(userId: string, e164: string) {
  await testDb().update(users).set({ phoneNumber: e164, isPhoneNumberVerified: false }).where(eq(users.id, userId));
}

/** A fresh user with a verified phone and email; `enable` lists the methods turned on, in order. */
async function userWithMethods(enable: Method[]) {
  const { user, session: first, phone } = await userWithVerifiedPhone();
  await verifyEmail(user, first.access);
  let session: Session = first;
  let recoveryCodes: string[] | null = null;
  for (const [index, method] of enable.entries()) {
    // Once 2FA is on, another method takes a current second factor: the last recovery codes pay
    // for it (the tests use the first ones).
    const proof = recoveryCodes ? { recovery_code: recoveryCodes[recoveryCodes.length - index] } : {};
    const data = expectSuccess(
      await setMethod(session.access, { password: user.password, method, enabled: true, ...proof }),
      "2fa methods successful",
    );
    recoveryCodes ??= data.recovery_codes;
    session = data.tokens;
  }
  return { user, phone, session, recoveryCodes: recoveryCodes as string[] };
}

/** Logs in with the password and expects the second step, offering `methods`: the mfa_token. */
async function mfaToken(user: { username: string; password: string }, methods: string[]): Promise<string> {
  const data = expectSuccess(await login(user.username, user.password), "login successful");
  expect(data).toMatchObject({ mfa_required: true, methods });
  expect(data.access).toBeUndefined();
  return data.mfa_token;
}

/** Asks verify to send a code by `method` for this login and returns the code that arrived. */
async function requestLoginCode(mfa_token: string, method: Method, to: string) {
  const { res, code } = await codeSentTo(to, method === "sms" ? isSignInSms : isSignInMail, () => verify({ mfa_token, method }));
  expect(expectSuccess(res, "2fa verify successful")).toBe("Code sent");
  return code;
}

/** The app with a different TWO_FACTOR_METHODS, called directly (as the worker would with that setting). */
function withOfferedMethods(methods: string) {
  const app = createApp();
  const target = { ...env, TWO_FACTOR_METHODS: methods };
  return (method: string, path: string, options: Parameters<typeof buildRequest>[2] = {}) =>
    readResponse(app.fetch(buildRequest(method, path, options), target));
}

describe("POST /auth/secure/2fa/methods/", () => {
  it("turns SMS on for a verified phone: 10 recovery codes, a fresh pair, every earlier session revoked, a notice mailed", async () => {
    const { user, session, phone } = await userWithVerifiedPhone();
    const other = (await login(user.username, user.password)).body.data as Session;

    const res = await setMethod(session.access, { password: user.password, method: "sms", enabled: true });
    const data = expectSuccess(res, "2fa methods successful");
    expect(Object.keys(data).sort()).toEqual(["methods", "recovery_codes", "tokens"]);
    expect(data.methods).toEqual(["sms"]);
    expect(data.recovery_codes).toHaveLength(10);
    expect(new Set(data.recovery_codes).size).toBe(10);
    await expectWorkingPair(data.tokens, user.id);

    // The caller goes on with `tokens`; everything issued before is dead.
    await expectSessionDead(session);
    await expectSessionDead(other);

    const notice = await eventually(async () => (await outbox(user.email)).find(isTwoFactorNotice));
    expect(notice, "no two-factor notice mailed").toBeDefined();
    for (const code of data.recovery_codes) expect(notice?.text).not.toContain(code);

    expect(expectSuccess(await profile(data.tokens.access), "profile detail successful")).toMatchObject({
      two_factor_enabled: true,
      two_factor_methods: ["sms"],
    });
    await mfaToken(user, ["sms"]);
    // No code is sent until the login asks for one.
    expect((await outbox(phone.e164)).filter(isSignInSms)).toHaveLength(0);
  });

  it("turns email on for a verified address", async () => {
    const { user, session } = await userWithSession();
    await verifyEmail(user, session.access);
    const data = expectSuccess(
      await setMethod(session.access, { password: user.password, method: "email", enabled: true }),
      "2fa methods successful",
    );
    expect(data.methods).toEqual(["email"]);
    expect(data.recovery_codes).toHaveLength(10);
    await mfaToken(user, ["email"]);
  });

  it("refuses SMS without a verified phone number and email without a verified address, naming method", async () => {
    const { user: noPhone, session: noPhoneSession } = await userWithSession();
    const phone = newPhone();
    const { user: unverified, session: unverifiedSession } = await userWithSession({
      country_alpha_code: "IN",
      phone_number: phone.local,
    });
    const attempts: [User, string, Method][] = [
      [noPhone, noPhoneSession.access, "sms"],
      [unverified, unverifiedSession.access, "sms"],
      [noPhone, noPhoneSession.access, "email"],
    ];
    for (const [user, access, method] of attempts) {
      const details = expectFailure(
        await setMethod(access, { password: user.password, method, enabled: true }),
        400,
        "VALIDATION_ERROR",
      );
      expect(details.method, method).toBeDefined();
    }
    // Nothing changed: the sessions live on and login still gives tokens directly.
    for (const [user, access] of attempts) {
      expect((await check(access)).status).toBe(200);
      expect(expectSuccess(await login(user.username, user.password), "login successful").access).toBeDefined();
    }
  });

  it("refuses a wrong password, naming password, and changes nothing", async () => {
    const { user, session } = await userWithVerifiedPhone();
    const res = await setMethod(session.access, { password: "Wrong-password-1", method: "sms", enabled: true });
    expect(expectFailure(res, 400, "VALIDATION_ERROR").password).toBeDefined();
    expect((await check(session.access)).status).toBe(200);
    expect(expectSuccess(await login(user.username, user.password), "login successful").access).toBeDefined();
  });

  it("refuses to turn on a method that is already on, or off one that is already off, naming method", async () => {
    const { user, session } = await userWithMethods(["sms"]);
    const again = await setMethod(session.access, { password: user.password, method: "sms", enabled: true });
    expect(expectFailure(again, 400, "VALIDATION_ERROR").method).toBeDefined();
    const off = await setMethod(session.access, { password: user.password, method: "email", enabled: false });
    expect(expectFailure(off, 400, "VALIDATION_ERROR").method).toBeDefined();
    // Still the same session, and still SMS only.
    expect((await check(session.access)).status).toBe(200);
    await mfaToken(user, ["sms"]);
  });

  it("adds a second method without new recovery codes; login lists both in the order totp, sms, email", async () => {
    const { user, session, recoveryCodes } = await userWithMethods(["email"]);
    // 2FA is on: adding a method takes a current second factor (here the last recovery code).
    const data = expectSuccess(
      await setMethod(session.access, { password: user.password, method: "sms", enabled: true, recovery_code: recoveryCodes[9] }),
      "2fa methods successful",
    );
    expect(data.methods).toEqual(["sms", "email"]);
    expect(data.recovery_codes).toBeNull();
    await expectSessionDead(session);
    await expectWorkingPair(data.tokens, user.id);
    expect(expectSuccess(await profile(data.tokens.access), "profile detail successful")).toMatchObject({
      two_factor_enabled: true,
      two_factor_methods: ["sms", "email"],
    });
    // The codes of the call that turned 2FA on are still the ones that work.
    const token = await mfaToken(user, ["sms", "email"]);
    expectSuccess(await verify({ mfa_token: token, recovery_code: recoveryCodes[0] }), "2fa verify successful");
  });

  it("turns one of two methods off; the last one stays until 2FA is disabled with a code", async () => {
    const { user, session, recoveryCodes } = await userWithMethods(["sms", "email"]);
    const oneLeft = expectSuccess(
      await setMethod(session.access, {
        password: user.password,
        method: "sms",
        enabled: false,
        recovery_code: recoveryCodes[0],
      }),
      "2fa methods successful",
    );
    expect(oneLeft).toMatchObject({ methods: ["email"], recovery_codes: null });
    await expectSessionDead(session);
    await mfaToken(user, ["email"]);

    // The password alone cannot turn 2FA off: that is /disable/, with a code.
    const last = await setMethod(oneLeft.tokens.access, { password: user.password, method: "email", enabled: false });
    expect(expectFailure(last, 400, "VALIDATION_ERROR").method?.[0]).toMatch(/disable/);
    expect(expectSuccess(await profile(oneLeft.tokens.access), "profile detail successful")).toMatchObject({
      two_factor_enabled: true,
      two_factor_methods: ["email"],
    });
  });

  it("two changes racing never lose one: every change that answered success is in the final state", async () => {
    const { user, session } = await userWithMethods([]);
    const methods: Method[] = ["sms", "email"];
    const results = await Promise.all(
      methods.map((method) => setMethod(session.access, { password: user.password, method, enabled: true })),
    );
    // However the two interleave, a refused change is refused whole: it lost the race (try again),
    // or the other change had already revoked the token it came with.
    for (const res of results.filter((result) => result.status !== 200)) {
      const outcome = `${res.status} ${res.body?.error?.code}`;
      expect(["400 VALIDATION_ERROR", "401 INVALID_TOKEN"], res.text).toContain(outcome);
      if (res.status === 400) expect(res.body.error.details.non_field_errors, res.text).toBeDefined();
    }
    const won = methods.filter((_, i) => results[i]?.status === 200);
    expect(won.length).toBeGreaterThan(0);
    // No lost update: login offers exactly the methods whose change succeeded.
    const token = await mfaToken(user, won);
    // The change that turned 2FA on, and only it, issued recovery codes, and they work.
    const issued = results.filter((res) => res.status === 200 && res.body.data.recovery_codes !== null);
    expect(issued).toHaveLength(1);
    const codes = issued[0]?.body.data.recovery_codes as string[];
    expectSuccess(await verify({ mfa_token: token, recovery_code: codes[0] }), "2fa verify successful");
  });

  it("keeps the number while SMS is a second factor: a stolen session cannot move it to the thief's phone", async () => {
    const { session, phone } = await userWithMethods(["sms"]);
    const other = newPhone();
    for (const path of ["/profile/update/", "/auth/user/update/"]) {
      const res = await api("PUT", path, { headers: bearer(session.access), json: { phone_number: other.local } });
      expect(expectFailure(res, 400, "VALIDATION_ERROR").phone_number?.[0], path).toMatch(/second factor/);
    }
    const row = expectSuccess(await profile(session.access), "profile detail successful");
    expect(row).toMatchObject({ phone_number: phone.e164, is_phone_number_verified: true });
  });

  it("refuses to turn on a method the service does not offer (TWO_FACTOR_METHODS)", async () => {
    const { user, session } = await userWithVerifiedPhone();
    await verifyEmail(user, session.access);
    const totpOnly = withOfferedMethods("totp");
    for (const method of ["sms", "email"]) {
      const res = await totpOnly("POST", "/auth/secure/2fa/methods/", {
        headers: bearer(session.access),
        json: { password: user.password, method, enabled: true },
      });
      expect(expectFailure(res, 400, "VALIDATION_ERROR").method, method).toBeDefined();
    }
    // Nothing was turned on; with the default setting the same request works.
    expect((await check(session.access)).status).toBe(200);
    expectSuccess(
      await setMethod(session.access, { password: user.password, method: "sms", enabled: true }),
      "2fa methods successful",
    );
  });

  it("needs authentication and a well-formed body", async () => {
    const anonymous = await api("POST", "/auth/secure/2fa/methods/", {
      json: { password: "Tr1cky-Passphrase", method: "sms", enabled: true },
    });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.success).toBe(false);
    const { user, session } = await userWithVerifiedPhone();
    for (const json of [
      { password: user.password, method: "totp", enabled: true },
      { password: user.password, method: "fax", enabled: true },
      { password: user.password, method: "sms" },
      { password: user.password, method: "sms", enabled: "yes" },
      { method: "sms", enabled: true },
    ]) {
      expectFailure(await setMethod(session.access, json), 400, "VALIDATION_ERROR");
    }
  });
});

describe("logging in with a code sent by SMS or email", () => {
  it("SMS: login offers sms, {method: sms} texts a sign-in code, and verify exchanges it for the token pair", async () => {
    const { user, phone } = await userWithMethods(["sms"]);
    const token = await mfaToken(user, ["sms"]);
    const { res, code, message } = await codeSentTo(phone.e164, isSignInSms, () => verify({ mfa_token: token, method: "sms" }));
    expect(res.body).toEqual({ success: true, message: "2fa verify successful", data: "Code sent", error: null });
    expect(message.text).toContain("sign-in code");
    const data = expectSuccess(await verify({ mfa_token: token, code }), "2fa verify successful");
    expect(Object.keys(data).sort()).toEqual(["access", "expires_in", "refresh", "token_type"]);
    await expectWorkingPair(data, user.id);
  });

  it("email: {method: email} mails the code with subject 'Your LoginSystem Edge sign-in code'", async () => {
    const { user } = await userWithMethods(["email"]);
    const token = await mfaToken(user, ["email"]);
    const code = await requestLoginCode(token, "email", user.email);
    const [mail] = (await outbox(user.email)).filter(isSignInMail);
    expect(mail?.subject).toBe(SIGN_IN_SUBJECT);
    expect(mail?.text).toContain(code);
    await expectWorkingPair(expectSuccess(await verify({ mfa_token: token, code }), "2fa verify successful"), user.id);
  });

  it("sends at most one code a minute: a second request is 429 RATE_LIMITED with Retry-After", async () => {
    const { user, phone } = await userWithMethods(["sms"]);
    const token = await mfaToken(user, ["sms"]);
    const code = await requestLoginCode(token, "sms", phone.e164);
    const again = await verify({ mfa_token: token, method: "sms" });
    expectFailure(again, 429, "RATE_LIMITED");
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(again.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    // The code already sent still works.
    expectSuccess(await verify({ mfa_token: token, code }), "2fa verify successful");
  });

  it("refuses to send by a method the account does not have, naming method", async () => {
    const { user, phone } = await userWithMethods(["sms"]);
    const token = await mfaToken(user, ["sms"]);
    expect(expectFailure(await verify({ mfa_token: token, method: "email" }), 400, "VALIDATION_ERROR").method).toBeDefined();
    expect((await outbox(user.email)).filter(isSignInMail)).toHaveLength(0);
    // The token is not spent: SMS still works.
    const code = await requestLoginCode(token, "sms", phone.e164);
    expectSuccess(await verify({ mfa_token: token, code }), "2fa verify successful");
  });

  it("refuses a wrong code with OTP_INVALID; the right code then still works", async () => {
    const { user, phone } = await userWithMethods(["sms"]);
    const token = await mfaToken(user, ["sms"]);
    const code = await requestLoginCode(token, "sms", phone.e164);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    expectFailure(await verify({ mfa_token: token, code: wrong }), 400, "OTP_INVALID");
    await expectWorkingPair(expectSuccess(await verify({ mfa_token: token, code }), "2fa verify successful"), user.id);
  });

  it("accepts a sent code once: another login cannot use it again", async () => {
    const { user } = await userWithMethods(["email"]);
    const first = await mfaToken(user, ["email"]);
    const code = await requestLoginCode(first, "email", user.email);
    expectSuccess(await verify({ mfa_token: first, code }), "2fa verify successful");
    const second = await mfaToken(user, ["email"]);
    expectFailure(await verify({ mfa_token: second, code }), 400, "OTP_INVALID");
  });

  it("refuses a body with more than one of code, recovery_code and method, with VALIDATION_ERROR", async () => {
    const { user, recoveryCodes } = await userWithMethods(["sms"]);
    const mfa_token = await mfaToken(user, ["sms"]);
    const recovery_code = recoveryCodes[0];
    for (const json of [
      { mfa_token, code: "123456", method: "sms" },
      { mfa_token, recovery_code, method: "sms" },
      { mfa_token, code: "123456", recovery_code },
      { mfa_token, code: "123456", recovery_code, method: "sms" },
      { mfa_token, method: "totp" },
      { mfa_token, method: "fax" },
    ]) {
      expectFailure(await verify(json), 400, "VALIDATION_ERROR");
    }
    // None of them sent anything or spent the token.
    expectSuccess(await verify({ mfa_token, recovery_code }), "2fa verify successful");
  });

  it("accepts the recovery codes of the call that turned 2FA on, each once", async () => {
    const { user, recoveryCodes } = await userWithMethods(["sms"]);
    const [first, second] = recoveryCodes as [string, string];
    const data = expectSuccess(
      await verify({ mfa_token: await mfaToken(user, ["sms"]), recovery_code: first }),
      "2fa verify successful",
    );
    await expectWorkingPair(data, user.id);
    expectFailure(await verify({ mfa_token: await mfaToken(user, ["sms"]), recovery_code: first }), 400, "OTP_INVALID");
    expectSuccess(await verify({ mfa_token: await mfaToken(user, ["sms"]), recovery_code: second }), "2fa verify successful");
  });

  it("with an authenticator app and SMS on, either a code from the app or a texted code works", async () => {
    const { user, session, phone } = await userWithVerifiedPhone();
    const setup = expectSuccess(
      await api("POST", "/auth/secure/2fa/setup/", { headers: bearer(session.access), json: { password: user.password } }),
      "2fa setup successful",
    );
    const app = new Authenticator(setup.secret);
    const confirmed = expectSuccess(
      await api("POST", "/auth/secure/2fa/confirm/", { headers: bearer(session.access), json: { code: await app.nextCode() } }),
      "2fa confirm successful",
    );
    const added = expectSuccess(
      await setMethod(confirmed.tokens.access, {
        password: user.password,
        method: "sms",
        enabled: true,
        code: await app.nextCode(),
      }),
      "2fa methods successful",
    );
    expect(added).toMatchObject({ methods: ["totp", "sms"], recovery_codes: null });
    expect(expectSuccess(await profile(added.tokens.access), "profile detail successful")).toMatchObject({
      two_factor_enabled: true,
      two_factor_methods: ["totp", "sms"],
    });

    const byApp = await mfaToken(user, ["totp", "sms"]);
    await expectWorkingPair(
      expectSuccess(await verify({ mfa_token: byApp, code: await app.nextCode() }), "2fa verify successful"),
      user.id,
    );
    const bySms = await mfaToken(user, ["totp", "sms"]);
    const code = await requestLoginCode(bySms, "sms", phone.e164);
    await expectWorkingPair(expectSuccess(await verify({ mfa_token: bySms, code }), "2fa verify successful"), user.id);
  });

  it("offers at login only the methods TWO_FACTOR_METHODS still names", async () => {
    const { user } = await userWithMethods(["sms", "email"]);
    const smsOnly = withOfferedMethods("totp,sms");
    const res = await smsOnly("POST", "/auth/user/login/", { headers: basic(user.username, user.password) });
    const data = expectSuccess(res, "login successful");
    expect(data).toMatchObject({ mfa_required: true, methods: ["sms"] });
    const refused = await smsOnly("POST", "/auth/secure/2fa/verify/", { json: { mfa_token: data.mfa_token, method: "email" } });
    expect(expectFailure(refused, 400, "VALIDATION_ERROR").method).toBeDefined();

    const totpOnly = withOfferedMethods("totp");
    const none = expectSuccess(
      await totpOnly("POST", "/auth/user/login/", { headers: basic(user.username, user.password) }),
      "login successful",
    );
    expect(none.mfa_required).toBe(true);
    expect(none.methods).not.toContain("email");
    expect(none.methods).not.toContain("sms");
  });
});

describe("POST /auth/secure/2fa/code/: a code for the settings that need a proof", () => {
  it("disable: a wrong code is OTP_INVALID and changes nothing; the mailed code turns 2FA off", async () => {
    const { user, session } = await userWithMethods(["email"]);
    const { res, code } = await codeSentTo(user.email, isSignInMail, () => sendSettingsCode(session.access, "email"));
    expect(res.body).toEqual({ success: true, message: "2fa code successful", data: "Code sent", error: null });
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
    expectFailure(await disable(session.access, { password: user.password, code: wrong }), 400, "OTP_INVALID");
    expect((await check(session.access)).status).toBe(200);
    await mfaToken(user, ["email"]);

    const data = expectSuccess(await disable(session.access, { password: user.password, code }), "2fa disable successful");
    await expectWorkingPair(data.tokens, user.id);
    await expectSessionDead(session);
    const plain = expectSuccess(await login(user.username, user.password), "login successful");
    expect(plain.access).toBeDefined();
    expect(plain.mfa_required).toBeUndefined();
    expect(expectSuccess(await profile(data.tokens.access), "profile detail successful")).toMatchObject({
      two_factor_enabled: false,
      two_factor_methods: [],
    });
  });

  it("recovery-codes: a texted code makes 10 new recovery codes and the old ones stop working", async () => {
    const { user, session, phone, recoveryCodes: old } = await userWithMethods(["sms"]);
    const { code } = await codeSentTo(phone.e164, isSignInSms, () => sendSettingsCode(session.access, "sms"));
    const data = expectSuccess(
      await newRecoveryCodes(session.access, { password: user.password, code }),
      "2fa recovery codes successful",
    );
    expect(data.recovery_codes).toHaveLength(10);
    for (const fresh of data.recovery_codes) expect(old).not.toContain(fresh);
    await expectWorkingPair(data.tokens, user.id);
    expectFailure(await verify({ mfa_token: await mfaToken(user, ["sms"]), recovery_code: old[0] }), 400, "OTP_INVALID");
    expectSuccess(
      await verify({ mfa_token: await mfaToken(user, ["sms"]), recovery_code: data.recovery_codes[0] }),
      "2fa verify successful",
    );
  });

  it("refuses a method that is not on for the account, naming method", async () => {
    const { user, session } = await userWithMethods(["sms"]);
    expect(expectFailure(await sendSettingsCode(session.access, "email"), 400, "VALIDATION_ERROR").method).toBeDefined();
    const { session: plain } = await userWithVerifiedPhone();
    expect(expectFailure(await sendSettingsCode(plain.access, "sms"), 400, "VALIDATION_ERROR").method).toBeDefined();
    expect((await outbox(user.email)).filter(isSignInMail)).toHaveLength(0);
    const anonymous = await api("POST", "/auth/secure/2fa/code/", { json: { method: "sms" } });
    expect(anonymous.status).toBe(401);
  });
});

describe("what SMS and email two-factor authentication survive", () => {
  it("a password reset gives no tokens, and login afterwards still asks for the second factor", async () => {
    const { user } = await userWithMethods(["sms"]);
    const NEW = "Recovered-passphrase-9";
    expect((await api("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const mail = await messageTo(user.email, "password reset code");
    const code = /\b(\d{6})\b/.exec(mail.text)?.[1];
    const done = await api("POST", "/auth/password/reset/", {
      json: { email: user.email, otp: code, password1: NEW, password2: NEW },
    });
    expect(done.status, done.text).toBe(200);
    expect(done.text).not.toMatch(/"access"|"refresh"|mfa_token/);
    await mfaToken({ username: user.username, password: NEW }, ["sms"]);
  });

  it("a changed phone number is unverified: login no longer offers sms, and no code can be sent to it", async () => {
    const { user, session } = await userWithMethods(["sms", "email"]);
    const moved = newPhone();
    await numberChangedElsewhere(user.id, moved.e164);

    const token = await mfaToken(user, ["email"]);
    expect(expectFailure(await verify({ mfa_token: token, method: "sms" }), 400, "VALIDATION_ERROR").method).toBeDefined();
    expect(expectFailure(await sendSettingsCode(session.access, "sms"), 400, "VALIDATION_ERROR").method).toBeDefined();
    expect(await outbox(moved.e164)).toHaveLength(0);
    // Email still signs in.
    const code = await requestLoginCode(token, "email", user.email);
    expectSuccess(await verify({ mfa_token: token, code }), "2fa verify successful");
  });

  it("a code texted before the number changed no longer signs in", async () => {
    const { user, phone } = await userWithMethods(["sms", "email"]);
    const before = await mfaToken(user, ["sms", "email"]);
    const texted = await requestLoginCode(before, "sms", phone.e164);
    await numberChangedElsewhere(user.id, newPhone().e164);
    const after = await mfaToken(user, ["email"]);
    expectFailure(await verify({ mfa_token: after, code: texted }), 400, "OTP_INVALID");
  });
});
