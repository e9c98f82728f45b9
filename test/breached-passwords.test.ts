// The breached-password check (BREACHED_PASSWORD_CHECK=on): Pwned Passwords' range API by k-anonymity, cached, failing open.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { FAKE_PWNED } from "../local/fake-pwned-passwords.ts";
import { createApp } from "../src/app.ts";
import { users } from "../src/db/schema.ts";
import { BREACHED_PASSWORD } from "../src/services/abuse-guards.ts";
import {
  api,
  bearer,
  buildRequest,
  expectFailure,
  latestCode,
  loginStatus,
  readResponse,
  signupBody,
  testDb,
  userWithSession,
} from "./helpers.ts";

const fake = inject("fakeProvidersUrl");
// The two passwords the fake range API lists as breached.
const [BREACHED, BREACHED_TOO] = FAKE_PWNED.breached as [string, string];

// Config is cached per bindings object: the env is built once.
const checkEnv = { ...env, BREACHED_PASSWORD_CHECK: "on", PWNED_PASSWORDS_API_URL: fake };
// The default (no BREACHED_PASSWORD_CHECK), pointed at the fake: were the check on by default, the fake would be asked.
const defaultEnv = { ...env, PWNED_PASSWORDS_API_URL: fake };

const app = createApp();

function send(method: string, path: string, options: Parameters<typeof buildRequest>[2] = {}, target: object = checkEnv) {
  return readResponse(app.fetch(buildRequest(method, path, options), target));
}

const signupWith = (password: string, target: object = checkEnv) =>
  send("POST", "/auth/user/signup/", { json: signupBody({ password, password2: password }) }, target);

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

interface RangeRequest {
  prefix: string;
  padding: string;
}

async function rangeRequests(): Promise<RangeRequest[]> {
  return (await (await fetch(`${fake}/__range-requests`)).json()) as RangeRequest[];
}

/** Range requests the fake received for the prefix of `password`'s SHA-1. */
async function requestsFor(password: string): Promise<RangeRequest[]> {
  const prefix = (await sha1Hex(password)).slice(0, 5);
  return (await rangeRequests()).filter((request) => request.prefix === prefix);
}

/** A password no other test (or earlier run) has checked, so its prefix is in no cache. */
const freshPassword = () => `Fresh-${crypto.randomUUID()}-7`;

async function rowsNamed(username: string) {
  return testDb().select({ id: users.id }).from(users).where(eq(users.username, username));
}

describe("POST /auth/user/signup/ with the check on", () => {
  it("refuses a breached password with 400 VALIDATION_ERROR on password, creating nothing", async () => {
    const body = signupBody({ password: BREACHED, password2: BREACHED });
    const res = await send("POST", "/auth/user/signup/", { json: body });
    expect(expectFailure(res, 400, "VALIDATION_ERROR")).toEqual({ password: [BREACHED_PASSWORD] });
    expect(BREACHED_PASSWORD).toMatch(/data breach/);
    expect(await rowsNamed(body.username)).toEqual([]);
  });

  it("creates the account with a password the range API does not list", async () => {
    const password = freshPassword();
    const res = await signupWith(password);
    expect(res.status).toBe(201);
    // The check really ran: the fake was asked about this password's prefix.
    expect(await requestsFor(password)).toHaveLength(1);
  });
});

describe("What leaves the worker (k-anonymity)", () => {
  it("sends only the first 5 hex characters of the SHA-1, uppercase, with Add-Padding: true", async () => {
    const password = freshPassword();
    const hash = await sha1Hex(password);
    const before = await rangeRequests();
    expect((await signupWith(password)).status).toBe(201);
    const sent = (await rangeRequests()).slice(before.length);
    expect(sent).toContainEqual({ prefix: hash.slice(0, 5), padding: "true" });
    for (const request of sent) {
      expect(request.prefix).toMatch(/^[0-9A-F]{5}$/);
      expect(request.padding).toBe("true");
    }
    expect(JSON.stringify(sent)).not.toContain(hash.slice(0, 6));
    expect(JSON.stringify(sent)).not.toContain(password);
  });
});

describe("The range cache (Cache API)", () => {
  it("answers a second check of the same prefix from the cache, without asking the API again", async () => {
    const password = freshPassword();
    expect((await signupWith(password)).status).toBe(201);
    expect(await requestsFor(password)).toHaveLength(1);
    // Same password (so same prefix), another account.
    expect((await signupWith(password)).status).toBe(201);
    expect(await requestsFor(password)).toHaveLength(1);
  });

  it("still finds a breached password through a cached range", async () => {
    const password = BREACHED;
    expectFailure(await signupWith(password), 400, "VALIDATION_ERROR");
    const asked = (await requestsFor(password)).length;
    expect(asked).toBeGreaterThan(0);
    expect(expectFailure(await signupWith(password), 400, "VALIDATION_ERROR").password).toEqual([BREACHED_PASSWORD]);
    expect(await requestsFor(password)).toHaveLength(asked);
  });
});

describe("When Pwned Passwords cannot answer (fails open)", () => {
  it("signs up when the range API fails (503)", async () => {
    const before = (await requestsFor(FAKE_PWNED.failing)).length;
    expect((await signupWith(FAKE_PWNED.failing)).status).toBe(201);
    expect((await requestsFor(FAKE_PWNED.failing)).length).toBe(before + 1);
  });

  it("signs up when the range API stalls, after the 1.5 s timeout rather than waiting for it", async () => {
    const before = (await requestsFor(FAKE_PWNED.slow)).length;
    const started = Date.now();
    const res = await signupWith(FAKE_PWNED.slow);
    const elapsed = Date.now() - started;
    expect(res.status).toBe(201);
    expect(elapsed).toBeLessThan(2500);
    // It was asked (and stalled: the fake answers after 3 s), so the timeout is what let signup go on.
    expect((await requestsFor(FAKE_PWNED.slow)).length).toBe(before + 1);
    expect(elapsed).toBeGreaterThanOrEqual(1400);
  });
});

describe("POST /auth/password/change/ with the check on", () => {
  it("refuses a breached new password on password1, and the old password stays", async () => {
    const { user, session } = await userWithSession();
    const breached = BREACHED;
    const res = await send("POST", "/auth/password/change/", {
      headers: bearer(session.access),
      json: { old_password: user.password, password1: breached, password2: breached },
    });
    expect(expectFailure(res, 400, "VALIDATION_ERROR")).toEqual({ password1: [BREACHED_PASSWORD] });
    expect(await loginStatus(user.username, user.password)).toBe(200);
    expect(await loginStatus(user.username, breached)).toBe(401);
  });
});

describe("POST /auth/password/reset/ with the check on", () => {
  it("refuses a breached new password on password1 without using up the code, which then resets to a clean one", async () => {
    const { user } = await userWithSession();
    expect((await api("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const code = await latestCode(user.email);
    const breached = BREACHED;
    const refused = await send("POST", "/auth/password/reset/", {
      json: { email: user.email, otp: code, password1: breached, password2: breached },
    });
    expect(expectFailure(refused, 400, "VALIDATION_ERROR")).toEqual({ password1: [BREACHED_PASSWORD] });
    expect(await loginStatus(user.username, user.password)).toBe(200);

    const clean = freshPassword();
    const done = await send("POST", "/auth/password/reset/", {
      json: { email: user.email, otp: code, password1: clean, password2: clean },
    });
    expect(done.status).toBe(200);
    expect(await loginStatus(user.username, clean)).toBe(200);
  });
});

describe("The check off (the default)", () => {
  it("signs up with a breached password and asks Pwned Passwords nothing", async () => {
    const password = BREACHED_TOO;
    // Counted before and after rather than expected to be zero: only this file uses this password, but files run in one stack.
    const before = (await requestsFor(password)).length;
    const body = signupBody({ password, password2: password });
    const res = await send("POST", "/auth/user/signup/", { json: body }, defaultEnv);
    expect(res.status).toBe(201);
    expect(await rowsNamed(body.username)).toEqual([{ id: res.body.data.user_id }]);
    expect(await requestsFor(password)).toHaveLength(before);
  });
});
