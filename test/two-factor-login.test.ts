import { describe, expect, it, vi } from "vitest";
import wranglerToml from "../wrangler.toml?raw";
import {
  type ApiResponse,
  api,
  bearer,
  decodeJwt,
  eventually,
  expectFailure,
  latestCode,
  outbox,
  randomIp,
  testRedis,
  uniqueName,
  userRowById,
} from "./helpers.ts";
import {
  awayFromStepEnd,
  check,
  codeForStep,
  confirmTwoFactor,
  currentStep,
  expectSuccess,
  expectWorkingPair,
  fakeRecoveryCode,
  login,
  mfaToken,
  profile,
  STEP_MS,
  sleep,
  userWithPendingSetup,
  userWithTwoFactor,
  verify,
} from "./two-factor-helpers.ts";

// A test may wait for the next 30 s step when it needs more fresh codes than the window holds.
vi.setConfig({ testTimeout: 75_000 });

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
    // Five wrong codes kill the token (the account-wide budget is separate): the sixth answer,
    // even with the right code, refuses the worn-out token for what it is.
    expect(seen).toEqual([...Array(5).fill("400 OTP_INVALID"), "401 MFA_TOKEN_INVALID"]);
  });

  it("answers no code while the account's budget of wrong answers (20 an hour) is full: a fresh mfa_token's right code gets 429 and is not even looked at", async () => {
    const { user, app } = await userWithTwoFactor();
    const seen: string[] = [];
    for (let round = 0; round < 4; round++) {
      const token = await mfaToken(user);
      for (let i = 0; i < 5; i++) {
        const res = await verify({ mfa_token: token, code: app.wrongCode() });
        seen.push(`${res.status} ${res.body?.error?.code}`);
      }
    }
    expect(seen).toEqual([...Array(19).fill("400 OTP_INVALID"), "429 RATE_LIMITED"]);
    // The password is still right, so a new login hands out a new mfa_token; its answers wait.
    const lastStep = (await userRowById(user.id))?.totpLastStep;
    const refused = await verify({ mfa_token: await mfaToken(user), code: await app.nextCode() });
    expectFailure(refused, 429, "RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // Not looked at: the code's step was not recorded as used.
    expect((await userRowById(user.id))?.totpLastStep).toBe(lastStep);
  });

  it("keeps concurrent wrong answers within the account's budget: exactly 19 are evaluated, the rest get 429", async () => {
    const { user, app } = await userWithTwoFactor();
    const tokens = [];
    for (let i = 0; i < 6; i++) tokens.push(await mfaToken(user));
    const results = await Promise.all(
      tokens.flatMap((token) => Array.from({ length: 5 }, () => verify({ mfa_token: token, code: app.wrongCode() }))),
    );
    const outcomes = results.map((res) => `${res.status} ${res.body?.error?.code}`);
    expect(outcomes.filter((outcome) => outcome === "400 OTP_INVALID")).toHaveLength(19);
    expect(outcomes.filter((outcome) => outcome === "429 RATE_LIMITED")).toHaveLength(11);
    // Each answer was counted when its challenge was read, before it was looked at; refused ones never were.
    expect(await testRedis().zcard(`lockout:mfa:${user.id}`)).toBe(20);
  });

  /** Nineteen wrong answers: the account's budget has room for exactly one more answer. */
  async function budgetWithOneLeft(user: { username: string; password: string }, app: { wrongCode(): string }) {
    for (let counted = 0; counted < 19; ) {
      const token = await mfaToken(user);
      for (let i = 0; i < 5 && counted < 19; i++, counted++)
        expectFailure(await verify({ mfa_token: token, code: app.wrongCode() }), 400, "OTP_INVALID");
    }
  }

  it("takes a right answer at the budget's edge and gives its place back: the budget still has room", async () => {
    const { user, app, recoveryCodes } = await userWithTwoFactor();
    await budgetWithOneLeft(user, app);
    expectSuccess(await verify({ mfa_token: await mfaToken(user), recovery_code: recoveryCodes[0] }), "2fa verify successful");
    expect(await testRedis().zcard(`lockout:mfa:${user.id}`)).toBe(19);
    expectFailure(await verify({ mfa_token: await mfaToken(user), code: app.wrongCode() }), 429, "RATE_LIMITED");
  });

  it("never spends a right recovery code it refuses: racing wrong answers at the budget's edge, it either signs in or stays unspent", async () => {
    for (let trial = 0; trial < 3; trial++) {
      const { user, app, recoveryCodes } = await userWithTwoFactor();
      await budgetWithOneLeft(user, app);
      const codesBefore = (await userRowById(user.id))?.recoveryCodes;
      const [wrongToken, rightToken] = [await mfaToken(user), await mfaToken(user)];
      const [right, ...wrong] = await Promise.all([
        verify({ mfa_token: rightToken, recovery_code: recoveryCodes[0] }),
        ...Array.from({ length: 4 }, () => verify({ mfa_token: wrongToken, code: app.wrongCode() })),
      ]);
      // Each answer was counted before it was looked at, so one was admitted: the budget's last
      // place. A wrong one there fills the budget (429, the wait starts); the rest never got in.
      for (const res of wrong) expectFailure(res, 429, "RATE_LIMITED");
      const codesAfter = (await userRowById(user.id))?.recoveryCodes;
      if (right.status === 200) {
        expect(codesAfter).not.toBe(codesBefore);
        expect(await testRedis().zcard(`lockout:mfa:${user.id}`)).toBe(19);
      } else {
        expectFailure(right, 429, "RATE_LIMITED");
        expect(codesAfter).toBe(codesBefore);
        expect(await testRedis().zcard(`lockout:mfa:${user.id}`)).toBe(20);
      }
    }
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
    const { user, session, recoveryCodes } = await userWithTwoFactor();
    const newEmail = `${uniqueName("moved")}@example.com`;
    // While 2FA is on, the change takes a current second factor too.
    const start = await api("POST", "/auth/user/email/change/", {
      headers: bearer(session.access),
      json: { new_email: newEmail, password: user.password, recovery_code: recoveryCodes[0] },
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
