// Email sign-in codes (PASSWORDLESS_EMAIL=on): a code by mail signs in without a password, with
// the mailbox path's rules: the same answer for unknown addresses, 5 tries per code, a cooldown,
// and the code is one factor (2FA still asks for the second).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import {
  api,
  bearer,
  buildRequest,
  eventually,
  expectFailure,
  outbox,
  readResponse,
  userWithSession,
  verifyEmailAddress,
} from "./helpers.ts";
import { userWithTwoFactor, verify } from "./two-factor-helpers.ts";

/** Email sign-in codes go only to verified addresses. */
async function verifiedUser() {
  const { user, session } = await userWithSession();
  await verifyEmailAddress(user.email, session.access);
  return { user, session };
}

/** The code of the newest sign-in mail to `email` (sending happens after the response). */
async function signInCode(email: string): Promise<string> {
  const found = await eventually(async () => (await outbox(email)).find((message) => message.subject.includes("sign-in code")));
  const code = /\b(\d{6})\b/.exec(found?.text ?? "")?.[1];
  if (!code) throw new Error(`no sign-in code arrived for ${email}`);
  return code;
}

const requestCode = (email: string) => api("POST", "/auth/passwordless/email/", { json: { email } });
const signIn = (email: string, code: string) => api("POST", "/auth/passwordless/email/verify/", { json: { email, code } });
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, "0");

describe("POST /auth/passwordless/email/ and /verify/", () => {
  it("mails a 6-digit code and signs in with it: tokens that /auth/jwt/check/ accepts; the code works once", async () => {
    const { user } = await verifiedUser();
    const sent = await requestCode(user.email);
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ success: true, message: "passwordless email successful", data: "Code sent" });
    const code = await signInCode(user.email);
    const res = await signIn(user.email.toUpperCase(), code);
    expect(res.status, res.text).toBe(200);
    expect((await api("POST", "/auth/jwt/check/", { headers: bearer(res.body.data.access) })).body.data.user_id).toBe(user.id);
    expectFailure(await signIn(user.email, code), 400, "OTP_INVALID");
  });

  it("answers an unknown address exactly like a known one, and mails nothing", async () => {
    const { user } = await verifiedUser();
    const known = await requestCode(user.email);
    const unknown = await requestCode(`nobody.${user.email}`);
    expect([unknown.status, unknown.text]).toEqual([known.status, known.text]);
    await signInCode(user.email);
    expect(await outbox(`nobody.${user.email}`)).toEqual([]);
    const refused = await signIn(`nobody.${user.email}`, "123456");
    const wrongCode = await signIn(user.email, wrong(await signInCode(user.email)));
    expect([refused.status, refused.text]).toEqual([wrongCode.status, wrongCode.text]);
    expectFailure(refused, 400, "OTP_INVALID");
  });

  it("allows 5 wrong tries per code: then even the right one is refused", async () => {
    const { user } = await verifiedUser();
    await requestCode(user.email);
    const code = await signInCode(user.email);
    for (let i = 0; i < 5; i++) expectFailure(await signIn(user.email, wrong(code)), 400, "OTP_INVALID");
    expectFailure(await signIn(user.email, code), 400, "OTP_INVALID");
  });

  it("sends no second code within the 60 s cooldown, and answers the same", async () => {
    const { user } = await verifiedUser();
    await requestCode(user.email);
    const code = await signInCode(user.email);
    const again = await requestCode(user.email);
    expect(again.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await outbox(user.email)).filter((message) => message.subject.includes("sign-in code"))).toHaveLength(1);
    expect((await signIn(user.email, code)).status).toBe(200);
  });

  it("mails nothing to an address that was never verified: whoever signed up with it first does not share the account", async () => {
    const { user } = await userWithSession();
    expect((await requestCode(user.email)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await outbox(user.email)).toEqual([]);
    expectFailure(await signIn(user.email, "123456"), 400, "OTP_INVALID");
  });

  it("is one factor: with 2FA on it answers mfa_required without the email method, and the app's code completes", async () => {
    const { user, app, session } = await userWithTwoFactor();
    await verifyEmailAddress(user.email, session.access);
    await requestCode(user.email);
    const step = await signIn(user.email, await signInCode(user.email));
    expect(step.status, step.text).toBe(200);
    expect(step.body.data).toMatchObject({ mfa_required: true, methods: ["totp"] });
    expect(step.body.data.access).toBeUndefined();
    const done = await verify({ mfa_token: step.body.data.mfa_token, code: await app.nextCode() });
    expect(done.status, done.text).toBe(200);
  });

  it("puts a sign-in link in the mail when PASSWORDLESS_LINK_URL is set: the code in the fragment", async () => {
    const { user } = await verifiedUser();
    const target = { ...env, PASSWORDLESS_LINK_URL: "https://app.example/sign-in" };
    const res = await readResponse(
      createApp().fetch(buildRequest("POST", "/auth/passwordless/email/", { json: { email: user.email } }), target),
    );
    expect(res.status).toBe(200);
    const code = await signInCode(user.email);
    const message = (await outbox(user.email)).find((sent) => sent.subject.includes("sign-in code"));
    const link = new URLSearchParams({ email: user.email, code }).toString();
    expect(message?.text).toContain(`https://app.example/sign-in#${link}`);
  });

  it("is off unless PASSWORDLESS_EMAIL=on: 404 for both", async () => {
    const off = { ...env, PASSWORDLESS_EMAIL: "off" };
    for (const path of ["/auth/passwordless/email/", "/auth/passwordless/email/verify/"]) {
      const res = await readResponse(
        createApp().fetch(buildRequest("POST", path, { json: { email: "a@example.com", code: "123456" } }), off),
      );
      expectFailure(res, 404, "NOT_FOUND");
    }
  });

  it("answers malformed bodies with 400 VALIDATION_ERROR", async () => {
    expectFailure(await requestCode("not-an-email"), 400, "VALIDATION_ERROR");
    expectFailure(
      await api("POST", "/auth/passwordless/email/verify/", { json: { email: "a@example.com", code: "12ab56" } }),
      400,
      "VALIDATION_ERROR",
    );
    expectFailure(
      await api("POST", "/auth/passwordless/email/verify/", { json: { email: "a@example.com" } }),
      400,
      "VALIDATION_ERROR",
    );
  });
});
