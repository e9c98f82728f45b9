// Turnstile challenges: off unless TURNSTILE_SECRET_KEY is set; then signup and password forget always need a solved
// challenge, login (without a device token) only after a few failures of the name or of the client IP. A solved
// challenge makes a guess cost a solve; it never gets past a full guessing budget.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../src/app.ts";
import { users } from "../src/db/schema.ts";
import {
  api,
  basic,
  buildRequest,
  expectFailure,
  randomIp,
  readResponse,
  signupBody,
  testDb,
  userWithSession,
} from "./helpers.ts";

const fake = inject("fakeProvidersUrl");

// The fake siteverify accepts tokens starting with "pass", answers 500 internal-error for "down...", refuses the rest.
const ACCEPTED = "pass-token";
const REFUSED = "forged-token";
const TURNSTILE_DOWN = "down-token";

// Config is cached per bindings object: each env is built once.
const turnstileEnv = { ...env, TURNSTILE_SECRET_KEY: "turnstile-test-secret", TURNSTILE_API_URL: fake };
const unreachableEnv = { ...env, TURNSTILE_SECRET_KEY: "turnstile-test-secret", TURNSTILE_API_URL: "http://127.0.0.1:9" };

const app = createApp();

/** A request through the app with Turnstile on (or with `target` as its bindings). */
function send(method: string, path: string, options: Parameters<typeof buildRequest>[2] = {}, target: object = turnstileEnv) {
  return readResponse(app.fetch(buildRequest(method, path, options), target));
}

const withToken = (token: string) => ({ "CF-Turnstile-Response": token });

/** Logs in with HTTP Basic, optionally from a given IP and with a Turnstile token in the header. */
function login(username: string, password: string, options: { ip?: string; token?: string } = {}) {
  const headers: Record<string, string> = { ...basic(username, password) };
  if (options.ip) headers["cf-connecting-ip"] = options.ip;
  if (options.token) Object.assign(headers, withToken(options.token));
  return send("POST", "/auth/user/login/", { headers });
}

async function rowsNamed(username: string) {
  return testDb().select({ id: users.id }).from(users).where(eq(users.username, username));
}

/** A user signed up with Turnstile on (with an accepted token). */
async function turnstileUser() {
  const body = signupBody();
  const res = await send("POST", "/auth/user/signup/", { json: { ...body, "cf-turnstile-response": ACCEPTED } });
  expect(res.status).toBe(201);
  return { ...body, id: res.body.data.user_id as string };
}

describe("Turnstile off (the default)", () => {
  it("signs up and logs in without any token", async () => {
    const { user } = await userWithSession();
    expect(user.id).toBeTruthy();
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).status).toBe(200);
  });

  it("lets a login through without a token even after many failures (only the lockout applies)", async () => {
    const { user } = await userWithSession();
    for (let i = 0; i < 3; i++) {
      expectFailure(
        await api("POST", "/auth/user/login/", { headers: basic(user.username, "Wrong-pass-1") }),
        401,
        "INVALID_CREDENTIALS",
      );
    }
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).status).toBe(200);
  });
});

describe("POST /auth/user/signup/ with Turnstile on", () => {
  it("requires a token: none is 400 CAPTCHA_REQUIRED and no account is created", async () => {
    const body = signupBody();
    expectFailure(await send("POST", "/auth/user/signup/", { json: body }), 400, "CAPTCHA_REQUIRED");
    expect(await rowsNamed(body.username)).toEqual([]);
  });

  it("refuses a token Turnstile rejects with 400 CAPTCHA_INVALID, creating nothing", async () => {
    const body = signupBody();
    const res = await send("POST", "/auth/user/signup/", { json: { ...body, "cf-turnstile-response": REFUSED } });
    expectFailure(res, 400, "CAPTCHA_INVALID");
    expect(await rowsNamed(body.username)).toEqual([]);
  });

  it("creates the account with an accepted token in the body field cf-turnstile-response", async () => {
    const body = signupBody();
    const res = await send("POST", "/auth/user/signup/", { json: { ...body, "cf-turnstile-response": ACCEPTED } });
    expect(res.status).toBe(201);
    expect(await rowsNamed(body.username)).toEqual([{ id: res.body.data.user_id }]);
  });

  it("creates the account with an accepted token in the CF-Turnstile-Response header", async () => {
    const body = signupBody();
    // The header is read: a refused token there is CAPTCHA_INVALID.
    expectFailure(await send("POST", "/auth/user/signup/", { json: body, headers: withToken(REFUSED) }), 400, "CAPTCHA_INVALID");
    const res = await send("POST", "/auth/user/signup/", { json: body, headers: withToken(ACCEPTED) });
    expect(res.status).toBe(201);
    expect(await rowsNamed(body.username)).toEqual([{ id: res.body.data.user_id }]);
  });

  it("fails closed with 503 CAPTCHA_UNAVAILABLE when Turnstile answers an internal error, creating nothing", async () => {
    const body = signupBody();
    const res = await send("POST", "/auth/user/signup/", { json: { ...body, "cf-turnstile-response": TURNSTILE_DOWN } });
    expectFailure(res, 503, "CAPTCHA_UNAVAILABLE");
    expect(await rowsNamed(body.username)).toEqual([]);
  });

  it("fails closed with 503 CAPTCHA_UNAVAILABLE when Turnstile cannot be reached, creating nothing", async () => {
    const body = signupBody();
    const res = await send(
      "POST",
      "/auth/user/signup/",
      { json: { ...body, "cf-turnstile-response": ACCEPTED } },
      unreachableEnv,
    );
    expectFailure(res, 503, "CAPTCHA_UNAVAILABLE");
    expect(await rowsNamed(body.username)).toEqual([]);
  });
});

describe("POST /auth/password/forget/ with Turnstile on", () => {
  it("requires a token (400 CAPTCHA_REQUIRED without one) and answers 200 with an accepted one", async () => {
    const user = await turnstileUser();
    expectFailure(await send("POST", "/auth/password/forget/", { json: { email: user.email } }), 400, "CAPTCHA_REQUIRED");
    const res = await send("POST", "/auth/password/forget/", { json: { email: user.email, "cf-turnstile-response": ACCEPTED } });
    expect(res.status).toBe(200);
    expect(res.body.data).toBe("OTP sent to your email");
  });
});

describe("POST /auth/user/login/ with Turnstile on", () => {
  it("needs no token at first", async () => {
    const user = await turnstileUser();
    expect((await login(user.username, user.password)).status).toBe(200);
  });

  it("requires a token after CAPTCHA_AFTER_FAILURES (3) wrong passwords for the account, even with the right password", async () => {
    const user = await turnstileUser();
    // Each from a different IP: only the account's own failures count here.
    for (let i = 0; i < 3; i++) expectFailure(await login(user.username, "Wrong-pass-1"), 401, "INVALID_CREDENTIALS");
    expectFailure(await login(user.username, user.password), 400, "CAPTCHA_REQUIRED");
    expectFailure(await login(user.username, "Wrong-pass-1"), 400, "CAPTCHA_REQUIRED");
    expectFailure(await login(user.username, user.password, { token: REFUSED }), 400, "CAPTCHA_INVALID");
    expect((await login(user.username, user.password, { token: ACCEPTED })).status).toBe(200);
  });

  it("accepts the token in the JSON body as well", async () => {
    const user = await turnstileUser();
    for (let i = 0; i < 3; i++) expectFailure(await login(user.username, "Wrong-pass-1"), 401, "INVALID_CREDENTIALS");
    const json = { username: user.username, password: user.password };
    expectFailure(await send("POST", "/auth/user/login/", { json }), 400, "CAPTCHA_REQUIRED");
    expect((await send("POST", "/auth/user/login/", { json: { ...json, "cf-turnstile-response": ACCEPTED } })).status).toBe(200);
  });

  it("requires a token from a client IP that failed 3 times across other accounts, but not from another IP", async () => {
    const [first, second, third, untouched] = await Promise.all([
      turnstileUser(),
      turnstileUser(),
      turnstileUser(),
      turnstileUser(),
    ]);
    const ip = randomIp();
    for (const user of [first, second, third]) {
      expectFailure(await login(user.username, "Wrong-pass-1", { ip }), 401, "INVALID_CREDENTIALS");
    }
    expectFailure(await login(untouched.username, untouched.password, { ip }), 400, "CAPTCHA_REQUIRED");
    expect((await login(untouched.username, untouched.password, { ip: randomIp() })).status).toBe(200);
    expect((await login(untouched.username, untouched.password, { ip, token: ACCEPTED })).status).toBe(200);
  });

  it("makes each guess past the first few cost a solve, and no solve gets past a full budget", async () => {
    const user = await turnstileUser();
    // The name's budget (10 an hour): the first 3 need no token, the next ones do; the 10th fills it.
    for (let i = 0; i < 3; i++) expectFailure(await login(user.username, "Wrong-pass-1"), 401, "INVALID_CREDENTIALS");
    for (let i = 0; i < 6; i++)
      expectFailure(await login(user.username, "Wrong-pass-1", { token: ACCEPTED }), 401, "INVALID_CREDENTIALS");
    expectFailure(await login(user.username, "Wrong-pass-1", { token: ACCEPTED }), 429, "RATE_LIMITED");
    // A solver farm gets nothing more: the budget is a hard bound.
    const refused = await login(user.username, user.password, { token: ACCEPTED });
    expectFailure(refused, 429, "RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(3000);
  });

  it("asks no challenge of a known device: its failures are its own", async () => {
    const user = await turnstileUser();
    const first = await login(user.username, user.password);
    expect(first.status).toBe(200);
    const device = first.headers.get("device-token") ?? "";
    for (let i = 0; i < 3; i++) expectFailure(await login(user.username, "Wrong-pass-1"), 401, "INVALID_CREDENTIALS");
    expectFailure(await login(user.username, user.password), 400, "CAPTCHA_REQUIRED");
    const known = await send("POST", "/auth/user/login/", {
      headers: { ...basic(user.username, user.password), "device-token": device },
    });
    expect(known.status).toBe(200);
  });
});
