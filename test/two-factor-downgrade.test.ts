// A stolen session plus the password must not be enough to get around two-factor authentication.
// The attack: change the account's email to one's own, turn email on as a second factor, then sign
// in with the password and the emailed code, never needing the owner's app. So while 2FA is on,
// changing the email, adding a second factor (an app, SMS, email) and removing one each take a
// current second factor: an app code, a code sent by /auth/secure/2fa/code/, or a recovery code.
import { describe, expect, it } from "vitest";
import { api, bearer, expectFailure, latestCode, outbox, userWithSession, verifyEmailAddress } from "./helpers.ts";
import { Authenticator, expectSuccess, setMethod, setupTwoFactor, userWithTwoFactor } from "./two-factor-helpers.ts";

const changeEmail = (access: string, json: unknown) => api("POST", "/auth/user/email/change/", { headers: bearer(access), json });
const NEEDED = /Two-factor authentication is on/;

describe("while 2FA is on, a stolen session and the password are not enough", () => {
  it("to change the email: refused without a second factor, and no code goes to the new address", async () => {
    const { user, session } = await userWithTwoFactor();
    const attacker = `attacker.${user.email}`;
    const details = expectFailure(
      await changeEmail(session.access, { new_email: attacker, password: user.password }),
      400,
      "VALIDATION_ERROR",
    );
    expect(details.non_field_errors?.[0]).toMatch(NEEDED);
    expect(await outbox(attacker)).toHaveLength(0);
  });

  it("to add a second factor: email refused without one (its address verified); the login still asks for the app", async () => {
    const { user, session } = await userWithTwoFactor();
    await verifyEmailAddress(user.email, session.access);
    const details = expectFailure(
      await setMethod(session.access, { password: user.password, method: "email", enabled: true }),
      400,
      "VALIDATION_ERROR",
    );
    expect(details.non_field_errors?.[0]).toMatch(NEEDED);
    const login = await api("POST", "/auth/user/login/", { json: { username: user.username, password: user.password } });
    expect(login.body.data).toMatchObject({ mfa_required: true, methods: ["totp"] });
  });

  it("refuses a wrong second factor with OTP_INVALID, and both kinds at once with a validation error", async () => {
    const { user, session, app, recoveryCodes } = await userWithTwoFactor();
    expectFailure(
      await changeEmail(session.access, { new_email: `x.${user.email}`, password: user.password, code: app.wrongCode() }),
      400,
      "OTP_INVALID",
    );
    const both = expectFailure(
      await changeEmail(session.access, {
        new_email: `x.${user.email}`,
        password: user.password,
        code: await app.nextCode(),
        recovery_code: recoveryCodes[0],
      }),
      400,
      "VALIDATION_ERROR",
    );
    expect(both.non_field_errors).toEqual(["Give code or recovery_code, not both."]);
  });
});

describe("the owner, with a current second factor", () => {
  it("changes the email with an app code", async () => {
    const { user, session, app } = await userWithTwoFactor();
    const next = `next.${user.email}`;
    const res = await changeEmail(session.access, { new_email: next, password: user.password, code: await app.nextCode() });
    expect(res.status, res.text).toBe(200);
    expect(await latestCode(next)).toMatch(/^\d{6}$/);
  });

  it("adds email as a second factor with a recovery code (spent)", async () => {
    const { user, session, recoveryCodes } = await userWithTwoFactor();
    // Email needs a verified address: signup's address is verified by its code first.
    await verifyEmailAddress(user.email, session.access);
    const added = expectSuccess(
      await setMethod(session.access, {
        password: user.password,
        method: "email",
        enabled: true,
        recovery_code: recoveryCodes[0],
      }),
      "2fa methods successful",
    );
    expect(added.methods).toEqual(["totp", "email"]);
    // Spent: it does not pay twice.
    expectFailure(
      await setMethod(added.tokens.access, {
        password: user.password,
        method: "email",
        enabled: false,
        recovery_code: recoveryCodes[0],
      }),
      400,
      "OTP_INVALID",
    );
  });
});

describe("adding an authenticator app while SMS or email is on", () => {
  it("takes a code of the method that is on", async () => {
    const { user, session } = await userWithSession();
    await verifyEmailAddress(user.email, session.access);
    const on = expectSuccess(
      await setMethod(session.access, { password: user.password, method: "email", enabled: true }),
      "2fa methods successful",
    );
    const access = on.tokens.access as string;
    const refused = expectFailure(await setupTwoFactor(access, { password: user.password }), 400, "VALIDATION_ERROR");
    expect(refused.non_field_errors?.[0]).toMatch(NEEDED);
    const before = (await outbox(user.email)).length;
    expect((await api("POST", "/auth/secure/2fa/code/", { headers: bearer(access), json: { method: "email" } })).status).toBe(
      200,
    );
    const code = await latestCode(user.email, before);
    expectSuccess(await setupTwoFactor(access, { password: user.password, code }), "2fa setup successful");
  });
});

describe("with 2FA off", () => {
  it("the password alone still changes the email and turns the first method on", async () => {
    const { user, session } = await userWithSession();
    expect((await changeEmail(session.access, { new_email: `off.${user.email}`, password: user.password })).status).toBe(200);
  });
});

describe("guessing the second factor with a stolen session and the password", () => {
  it("is locked after 5 wrong codes, though each request carried the right password", async () => {
    const { user, session, app } = await userWithTwoFactor();
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await changeEmail(session.access, {
        new_email: `g${i}.${user.email}`,
        password: user.password,
        code: app.wrongCode(),
      });
      seen.push(`${res.status} ${res.body?.error?.code}`);
    }
    expect(seen).toEqual([...Array(4).fill("400 OTP_INVALID"), "429 RATE_LIMITED", "429 RATE_LIMITED"]);
    // Even the right code waits now.
    const right = await changeEmail(session.access, {
      new_email: `r.${user.email}`,
      password: user.password,
      code: await app.nextCode(),
    });
    expectFailure(right, 429, "RATE_LIMITED");
  });
});

describe("an app setup left pending", () => {
  it("is dropped when the methods change, so it cannot be confirmed later without a second factor", async () => {
    const { user, session } = await userWithSession();
    const pending = expectSuccess(await setupTwoFactor(session.access, { password: user.password }), "2fa setup successful");
    await verifyEmailAddress(user.email, session.access);
    const on = expectSuccess(
      await setMethod(session.access, { password: user.password, method: "email", enabled: true }),
      "2fa methods successful",
    );
    const confirm = await api("POST", "/auth/secure/2fa/confirm/", {
      headers: bearer(on.tokens.access),
      json: { code: await new Authenticator(pending.secret).nextCode() },
    });
    expect(expectFailure(confirm, 400, "VALIDATION_ERROR").non_field_errors?.[0]).toMatch(/No authenticator setup is pending/);
  });
});
