// Password forget -> code -> reset, without revealing which accounts exist.
import { describe, expect, it } from "vitest";
import {
  api,
  bearer,
  expectFailure,
  expectSessionDead,
  latestCode,
  loginStatus,
  messageTo,
  outbox,
  userWithSession,
} from "./helpers.ts";

const NEW = "Recovered-passphrase-9";
const forget = (json: unknown) => api("POST", "/auth/password/forget/", { json });
const confirm = (json: unknown) => api("POST", "/auth/password/forget/confirm/", { json });
const reset = (json: unknown) => api("POST", "/auth/password/reset/", { json });

async function userWithResetCode() {
  const { user, session } = await userWithSession();
  expect((await forget({ email: user.email })).status).toBe(200);
  return { user, session, code: await latestCode(user.email) };
}

describe("POST /auth/password/forget/", () => {
  it("answers byte-identical bodies for known and unknown accounts, and mails only a match", async () => {
    const { user } = await userWithSession();
    const known = await forget({ email: user.email, username: user.username });
    const unknownEmail = await forget({ email: `nobody.${user.email}` });
    const unknownName = await forget({ username: `nobody_${user.username}` });
    const mismatched = await forget({ email: user.email, username: `nobody_${user.username}` });
    expect(known.status).toBe(200);
    expect(known.body).toEqual({
      success: true,
      message: "password forget successful",
      data: "OTP sent to your email",
      error: null,
    });
    for (const other of [unknownEmail, unknownName, mismatched]) {
      expect(other.status).toBe(200);
      expect(other.text).toBe(known.text);
    }
    await latestCode(user.email);
    expect(await outbox(user.email)).toHaveLength(1);
    expect(await outbox(`nobody.${user.email}`)).toHaveLength(0);
  });

  it("rejects malformed input with 400", async () => {
    expectFailure(await forget({}), 400, "VALIDATION_ERROR");
    expectFailure(await forget({ email: "not-an-email" }), 400, "VALIDATION_ERROR");
  });
});

describe("POST /auth/password/forget/confirm/ and /auth/password/reset/", () => {
  it("checks the code without using it up and returns a single-use reset token; the reset revokes every session", async () => {
    const { user, session, code } = await userWithResetCode();
    const first = await confirm({ email: user.email, otp: code });
    expect(first.status).toBe(200);
    expect(first.body.message).toBe("password forget confirm successful");
    expect(first.body.data.reset_token).toMatch(/^[0-9a-f]{64}$/);
    const second = await confirm({ username: user.username, otp: code });
    expect(second.status).toBe(200);
    const token = second.body.data.reset_token;
    // Derived from the code: every confirm of one code hands out the same token.
    expect(token).toBe(first.body.data.reset_token);

    const done = await reset({ email: user.email, reset_token: token, password1: NEW, password2: NEW });
    expect(done.body).toEqual({ success: true, message: "password reset successful", data: "Password Changed", error: null });
    // Signs no one in, and every earlier session is dead.
    await expectSessionDead(session);
    expect(await loginStatus(user.username, user.password)).toBe(401);
    expect(await loginStatus(user.username, NEW)).toBe(200);
    // Token and code are used up together.
    expectFailure(
      await reset({ email: user.email, reset_token: token, password1: `${NEW}x`, password2: `${NEW}x` }),
      400,
      "OTP_INVALID",
    );
    expectFailure(await reset({ email: user.email, otp: code, password1: `${NEW}x`, password2: `${NEW}x` }), 400, "OTP_INVALID");
    const notice = await messageTo(user.email, "password was reset");
    expect(notice.text).not.toContain(NEW);
  });

  it("resets with the code directly, which also kills any reset token", async () => {
    const { user, code } = await userWithResetCode();
    const token = (await confirm({ email: user.email, otp: code })).body.data.reset_token;
    expect((await reset({ username: user.username, otp: code, password1: NEW, password2: NEW })).status).toBe(200);
    expectFailure(
      await reset({ email: user.email, reset_token: token, password1: `${NEW}x`, password2: `${NEW}x` }),
      400,
      "OTP_INVALID",
    );
  });

  it("fails the same way for an unknown account and a wrong code", async () => {
    const { user, code } = await userWithResetCode();
    const wrong = await confirm({ email: user.email, otp: String((Number(code) + 7) % 1_000_000).padStart(6, "0") });
    const unknown = await confirm({ email: `nobody.${user.email}`, otp: code });
    expectFailure(wrong, 400, "OTP_INVALID");
    expect(unknown.text).toBe(wrong.text);
    const bad = String((Number(code) + 7) % 1_000_000).padStart(6, "0");
    const wrongReset = await reset({ email: user.email, otp: bad, password1: NEW, password2: NEW });
    const unknownReset = await reset({ email: `nobody.${user.email}`, otp: code, password1: NEW, password2: NEW });
    expectFailure(wrongReset, 400, "OTP_INVALID");
    expect(unknownReset.text).toBe(wrongReset.text);
  });

  it("keeps the code when the new password is refused", async () => {
    const { user, code } = await userWithResetCode();
    expect(
      expectFailure(await reset({ email: user.email, otp: code, password1: NEW, password2: "other" }), 400, "VALIDATION_ERROR")
        .password2,
    ).toBeDefined();
    expect(
      expectFailure(
        await reset({ email: user.email, otp: code, password1: "password1", password2: "password1" }),
        400,
        "VALIDATION_ERROR",
      ).password1,
    ).toBeDefined();
    expectFailure(
      await reset({ email: user.email, otp: code, reset_token: "x", password1: NEW, password2: NEW }),
      400,
      "VALIDATION_ERROR",
    );
    expect((await reset({ email: user.email, otp: code, password1: NEW, password2: NEW })).status).toBe(200);
  });

  it("counts wrong tries at confirm and reset together: the fifth kills the code (no lockout: the mailbox path stays open)", async () => {
    const { user, code } = await userWithResetCode();
    const bad = String((Number(code) + 3) % 1_000_000).padStart(6, "0");
    for (let i = 0; i < 3; i++) expectFailure(await confirm({ email: user.email, otp: bad }), 400, "OTP_INVALID");
    expectFailure(await reset({ email: user.email, otp: bad, password1: NEW, password2: NEW }), 400, "OTP_INVALID");
    expectFailure(await reset({ email: user.email, otp: bad, password1: NEW, password2: NEW }), 400, "OTP_INVALID");
    // The code is dead: the right one no longer works, and the owner asks for a new one.
    expectFailure(await confirm({ email: user.email, otp: code }), 400, "OTP_INVALID");
  });

  it("gives 16 concurrent confirms of the right code the same reset token, which then works", async () => {
    const { user, code } = await userWithResetCode();
    const results = await Promise.all(Array.from({ length: 16 }, () => confirm({ email: user.email, otp: code })));
    expect(results.map((r) => r.status)).toEqual(Array(16).fill(200));
    const tokens = new Set(results.map((r) => r.body.data.reset_token));
    expect(tokens.size).toBe(1);
    const [token] = [...tokens];
    expect((await reset({ email: user.email, reset_token: token, password1: NEW, password2: NEW })).status).toBe(200);
  });

  it("never accepts a reset code at the verification endpoints", async () => {
    const { session, code } = await userWithResetCode();
    expectFailure(
      await api("POST", "/auth/confirm/email/", { headers: bearer(session.access), json: { otp: code } }),
      400,
      "OTP_INVALID",
    );
  });
});
