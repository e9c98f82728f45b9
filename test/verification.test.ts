// Email and phone verification by one-time code, and every rule for one-time codes.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { users } from "../src/db/schema.ts";
import { normalizeOtp } from "../src/lib/otp.ts";
import {
  api,
  bearer,
  buildRequest,
  expectFailure,
  latestCode,
  outbox,
  readResponse,
  testDb,
  testRedis,
  userRowById,
  userWithSession,
} from "./helpers.ts";

const sendEmailCode = (access: string) => api("POST", "/auth/verify/email/", { headers: bearer(access) });
const confirmEmail = (access: string, otp: unknown) =>
  api("POST", "/auth/confirm/email/", { headers: bearer(access), json: { otp } });
const wrongCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

/** The app with its clock moved, for expiry and cooldown. */
function at(offsetSeconds: number) {
  const app = createApp({ clock: { now: () => new Date(Date.now() + offsetSeconds * 1000) } });
  return (method: string, path: string, access: string, json?: unknown) =>
    readResponse(app.fetch(buildRequest(method, path, { headers: bearer(access), json }), env));
}

async function userWithEmailCode() {
  const { user, session } = await userWithSession();
  const sent = await sendEmailCode(session.access);
  expect(sent.status).toBe(200);
  return { user, session, code: await latestCode(user.email) };
}

describe("email verification", () => {
  it("sends a 6-digit code and confirming it stores the verified flag", async () => {
    const { user, session } = await userWithSession();
    const sent = await sendEmailCode(session.access);
    expect(sent.body).toMatchObject({ success: true, message: "email otp sent successful", data: "OTP sent to your email" });
    const code = await latestCode(user.email);
    const [mail] = await outbox(user.email);
    expect(mail?.subject).toBe("Verify your email address for LoginSystem Edge");
    expect(mail?.text).not.toMatch(/password reset/i);
    const confirmed = await confirmEmail(session.access, code);
    expect(confirmed.body).toMatchObject({
      success: true,
      message: "email confirm successful",
      data: "OTP verified and Email Confirmed",
    });
    expect((await userRowById(user.id))?.isEmailVerified).toBe(true);
    expect((await api("GET", "/profile/", { headers: bearer(session.access) })).body.data.user.is_email_verified).toBe(true);
  });

  it("answers 200 without sending when the email is already verified", async () => {
    const { user, session } = await userWithSession();
    await testDb().update(users).set({ isEmailVerified: true }).where(eq(users.id, user.id));
    const res = await sendEmailCode(session.access);
    expect(res.status).toBe(200);
    expect(res.body.data).toBe("Email already verified");
    // A message sent afterwards is a sentinel: once it is there, anything the first request would
    // have sent would be there too. Only the sentinel may be.
    expect((await api("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    await latestCode(user.email);
    expect((await outbox(user.email)).map((m) => m.subject)).toEqual(["Your LoginSystem Edge password reset code"]);
  });

  it("accepts the code as a JSON number too (leading zeros restored)", () => {
    expect(normalizeOtp(12345)).toBe("012345");
    expect(normalizeOtp("012345")).toBe("012345");
    expect(normalizeOtp("12345")).toBeNull();
    expect(normalizeOtp(1_000_000)).toBeNull();
    expect(normalizeOtp("12a456")).toBeNull();
  });

  it("rejects a malformed code with VALIDATION_ERROR, which counts no attempt", async () => {
    const { user, session, code } = await userWithEmailCode();
    for (let round = 0; round < 2; round++) {
      for (const otp of ["12345", "abcdef", null, 1.5])
        expectFailure(await confirmEmail(session.access, otp), 400, "VALIDATION_ERROR");
    }
    // Eight malformed tries, yet neither the code nor the account counted one.
    expect(await testRedis().hget(`user:${user.id}:otp:email-verify`, "fails")).toBeNull();
    expect(await testRedis().exists(`lockout:otp:${user.id}`)).toBe(0);
    expect((await confirmEmail(session.access, code)).status).toBe(200);
  });
});

describe("OTP rules", () => {
  it("lets exactly one of 16 concurrent confirms of the right code succeed (single use)", async () => {
    const { session, code } = await userWithEmailCode();
    const results = await Promise.all(Array.from({ length: 16 }, () => confirmEmail(session.access, code)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    // The replays find no code: failures like any other, so the fifth starts the account's cool-down.
    for (const r of results.filter((r) => r.status !== 200)) expect([400, 429]).toContain(r.status);
    expect(results.filter((r) => r.status === 400).length).toBeLessThanOrEqual(4);
  });

  it("evaluates at most 5 of 50 concurrent wrong codes: the fifth kills the code and locks code checks", async () => {
    const { user, session, code } = await userWithEmailCode();
    const results = await Promise.all(Array.from({ length: 50 }, () => confirmEmail(session.access, wrongCode(code))));
    expect(results.filter((r) => r.status === 400)).toHaveLength(4);
    for (const r of results.filter((r) => r.status !== 400)) expectFailure(r, 429, "RATE_LIMITED");
    expect(await testRedis().exists(`user:${user.id}:otp:email-verify`)).toBe(0);
    expectFailure(await confirmEmail(session.access, code), 429, "RATE_LIMITED");
    // After the cool-down the old code is still dead: five wrong tries used it up.
    expectFailure(await at(61)("POST", "/auth/confirm/email/", session.access, { otp: code }), 400, "OTP_INVALID");
    expect((await userRowById(user.id))?.isEmailVerified).toBe(false);
  });

  it("rejects user A's code for user B", async () => {
    const alice = await userWithEmailCode();
    const bob = await userWithEmailCode();
    expectFailure(await confirmEmail(bob.session.access, alice.code), 400, "OTP_INVALID");
    expect((await confirmEmail(alice.session.access, alice.code)).status).toBe(200);
  });

  it("rejects a code used for another purpose (email code at phone, reset code at email)", async () => {
    const { user, session, code } = await userWithEmailCode();
    expectFailure(
      await api("POST", "/auth/confirm/phone/", { headers: bearer(session.access), json: { otp: code } }),
      400,
      "OTP_INVALID",
    );
    const forgot = await api("POST", "/auth/password/forget/", { json: { email: user.email } });
    expect(forgot.status).toBe(200);
    const resetCode = await latestCode(user.email, 1);
    expect(resetCode).not.toBe(code);
    expectFailure(await confirmEmail(session.access, resetCode), 400, "OTP_INVALID");
    const viaReset = await api("POST", "/auth/password/forget/confirm/", { json: { email: user.email, otp: code } });
    expectFailure(viaReset, 400, "OTP_INVALID");
  });

  it("expires a code after 10 minutes (clock injected)", async () => {
    const { session, code } = await userWithEmailCode();
    expectFailure(await at(601)("POST", "/auth/confirm/email/", session.access, { otp: code }), 400, "OTP_INVALID");
    expect((await at(500)("POST", "/auth/confirm/email/", session.access, { otp: code })).status).toBe(200);
  });

  it("enforces a 60 s resend cooldown with 429 and Retry-After", async () => {
    const { session } = await userWithEmailCode();
    const again = await sendEmailCode(session.access);
    expectFailure(again, 429, "RATE_LIMITED");
    expect(again.body.message).toBe("too many requests");
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(50);
    expect(Number(again.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect((await at(61)("POST", "/auth/verify/email/", session.access)).status).toBe(200);
  });

  it("invalidates the previous code when a new one is issued; the fresh code has tries of its own", async () => {
    const { user, session, code: first } = await userWithEmailCode();
    for (let i = 0; i < 3; i++) expectFailure(await confirmEmail(session.access, wrongCode(first)), 400, "OTP_INVALID");
    expect((await at(61)("POST", "/auth/verify/email/", session.access)).status).toBe(200);
    const second = await latestCode(user.email, 1);
    expectFailure(await confirmEmail(session.access, first), 400, "OTP_INVALID");
    // Four failures on the account, below the lockout: earlier guesses do not spoil the owner's new code.
    expect((await confirmEmail(session.access, second)).status).toBe(200);
  });

  it("accepts a fresh code after an earlier one was replaced", async () => {
    const { user, session, code: first } = await userWithEmailCode();
    expect((await at(61)("POST", "/auth/verify/email/", session.access)).status).toBe(200);
    const second = await latestCode(user.email, 1);
    expect(second).not.toBe(first);
    expect((await confirmEmail(session.access, second)).status).toBe(200);
  });

  it("stores codes only as digests", async () => {
    const { user, code } = await userWithEmailCode();
    const key = `user:${user.id}:otp:email-verify`;
    const fields = await testRedis().eval<string[], string[]>("return redis.call('HGETALL', KEYS[1])", [key], []);
    expect(fields.join(" ")).not.toContain(code);
    expect(fields[fields.indexOf("hash") + 1]).toMatch(/^[0-9a-f]{64}$/);
    expect(fields[fields.indexOf("target") + 1]).toBe(user.email.toLowerCase());
  });
});

describe("phone verification", () => {
  it("needs a phone number on the account", async () => {
    const { session } = await userWithSession();
    const res = await api("POST", "/auth/verify/phone/", { headers: bearer(session.access) });
    expect(expectFailure(res, 400, "VALIDATION_ERROR").phone_number).toBeDefined();
  });

  it("sends an SMS code and confirming stores the verified flag", async () => {
    const { user, session } = await userWithSession({ country_alpha_code: "IN", phone_number: "9876543210" });
    const sent = await api("POST", "/auth/verify/phone/", { headers: bearer(session.access) });
    expect(sent.body).toMatchObject({ message: "phone otp sent successful", data: "OTP sent to your phone" });
    const code = await latestCode("+919876543210");
    const res = await api("POST", "/auth/confirm/phone/", { headers: bearer(session.access), json: { otp: code } });
    expect(res.body).toMatchObject({ message: "phone confirm successful", data: "OTP verified and Phone Confirmed" });
    expect((await userRowById(user.id))?.isPhoneNumberVerified).toBe(true);
    const again = await api("POST", "/auth/verify/phone/", { headers: bearer(session.access) });
    expect(again.body.data).toBe("Phone already verified");
  });

  it("does not verify a number that changed after the code was sent", async () => {
    const { user, session } = await userWithSession({ country_alpha_code: "IN", phone_number: "9876543211" });
    await api("POST", "/auth/verify/phone/", { headers: bearer(session.access) });
    const code = await latestCode("+919876543211");
    await api("PUT", "/profile/update/", { headers: bearer(session.access), json: { phone_number: "9123456781" } });
    const res = await api("POST", "/auth/confirm/phone/", { headers: bearer(session.access), json: { otp: code } });
    expectFailure(res, 400, "VALIDATION_ERROR");
    expect((await userRowById(user.id))?.isPhoneNumberVerified).toBe(false);
  });
});
