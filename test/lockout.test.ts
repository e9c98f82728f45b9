// Per-account lockout (Redis, shared by every edge location): failed passwords and failed codes
// are counted per account; a few in a row lock it for a cool-down that grows with repeated
// lockouts up to a cap. Unknown accounts behave exactly like real ones. The clock is injected to
// step through cool-downs; every request has its own client IP, so per-IP limits stay out of it.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { canonicalUsername } from "../src/lib/identifiers.ts";
import { otpDigest } from "../src/lib/otp.ts";
import { basic, buildRequest, expectFailure, latestCode, readResponse, signupBody, testRedis, uniqueName } from "./helpers.ts";

/** The app, its clock moved `seconds` ahead: one instance per moment keeps the steps readable. */
function at(seconds: number) {
  const app = createApp({ clock: { now: () => new Date(Date.now() + seconds * 1000) } });
  return (method: string, path: string, options: Parameters<typeof buildRequest>[2] = {}) =>
    readResponse(app.fetch(buildRequest(method, path, options), env));
}
const now = at(0);

async function newAccount() {
  const body = signupBody();
  const created = await now("POST", "/auth/user/signup/", { json: body });
  expect(created.status).toBe(201);
  return { ...body, id: created.body.data.user_id as string };
}

const login = (seconds: number, username: string, password: string) =>
  at(seconds)("POST", "/auth/user/login/", { headers: basic(username, password) });

/** Fails `count` logins and returns the statuses and Retry-After values seen. */
async function failLogins(seconds: number, username: string, count: number) {
  const seen: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await login(seconds, username, "Wrong-passw0rd");
    seen.push(`${res.status} ${res.body?.error?.code} ${res.headers.get("retry-after") ?? "-"}`);
  }
  return seen;
}

const withoutWait = (seen: string) => seen.split(" ").slice(0, 2).join(" ");
const waitOf = (seen: string) => Number(seen.split(" ")[2]) || 0;

const FIVE_FAILURES = [
  "401 INVALID_CREDENTIALS -",
  "401 INVALID_CREDENTIALS -",
  "401 INVALID_CREDENTIALS -",
  "401 INVALID_CREDENTIALS -",
  "429 RATE_LIMITED 60",
];

describe("login lockout", () => {
  it("locks an account at the fifth wrong password; then even the right password gets 429 with Retry-After", async () => {
    const user = await newAccount();
    expect(await failLogins(0, user.username, 5)).toEqual(FIVE_FAILURES);
    const refused = await login(1, user.username, user.password);
    expectFailure(refused, 429, "RATE_LIMITED");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(57);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(59);
    expect((await login(61, user.username, user.password)).status).toBe(200);
  });

  it("grows the cool-down with each lockout (1, 2, 4, 8 min) up to 15 min", async () => {
    const user = await newAccount();
    let t = 0;
    const cooldowns: number[] = [];
    for (let round = 0; round < 6; round++) {
      const seen = await failLogins(t, user.username, 5);
      cooldowns.push(Number(seen[4]?.split(" ")[2]));
      t += cooldowns[round] as number;
      // Just before the end it is still locked (a few seconds of margin for real time passing).
      expectFailure(await login(t - 3, user.username, user.password), 429, "RATE_LIMITED");
    }
    expect(cooldowns).toEqual([60, 120, 240, 480, 900, 900]);
  });

  it("forgives failures after a success", async () => {
    const user = await newAccount();
    expect(await failLogins(0, user.username, 4)).toEqual(FIVE_FAILURES.slice(0, 4));
    expect((await login(0, user.username, user.password)).status).toBe(200);
    expect(await failLogins(0, user.username, 4)).toEqual(FIVE_FAILURES.slice(0, 4));
    expect((await login(0, user.username, user.password)).status).toBe(200);
  });

  it("counts each name as typed: the username and the email lock on their own, for every account alike", async () => {
    const user = await newAccount();
    const ghost = uniqueName("ghost");
    expect(await failLogins(0, user.username, 5)).toEqual(FIVE_FAILURES);
    // The same account by its email is a different name: counted from zero, as any other name would be.
    expect(await failLogins(0, user.email, 5)).toEqual(FIVE_FAILURES);
    expect(await failLogins(0, `${ghost}@example.com`, 5)).toEqual(FIVE_FAILURES);
    expectFailure(await login(1, user.email, user.password), 429, "RATE_LIMITED");
  });

  it("cannot be stretched from many IPs: tries during a lockout are refused uncounted", async () => {
    const user = await newAccount();
    await failLogins(0, user.username, 5);
    // 40 more wrong passwords from 40 client IPs during the lockout (buildRequest gives each its own).
    const during = await failLogins(30, user.username, 40);
    for (const seen of during) expect(seen).toMatch(/^429 RATE_LIMITED \d+$/);
    // Real time passes during the burst: the wait only ever shrinks, it never grows.
    const waits = during.map((seen) => Number(seen.split(" ")[2]));
    expect(Math.max(...waits)).toBeLessThanOrEqual(30);
    expect(waits).toEqual([...waits].sort((a, b) => b - a));
    expect((await login(60, user.username, user.password)).status).toBe(200);
  });

  it("treats an unknown account exactly like a real one: same answers, same lockout, same Retry-After", async () => {
    const user = await newAccount();
    const ghost = uniqueName("ghost");
    // Interleaved, so real time moves both lockouts alike.
    const real: string[] = [];
    const unknown: string[] = [];
    for (const offset of [0, 0, 0, 0, 0, 10]) {
      real.push(...(await failLogins(offset, user.username, 1)));
      unknown.push(...(await failLogins(offset, ghost, 1)));
    }
    expect(unknown.map(withoutWait)).toEqual(real.map(withoutWait));
    expect(real.slice(4).map(withoutWait)).toEqual(["429 RATE_LIMITED", "429 RATE_LIMITED"]);
    for (const [i, seen] of unknown.entries()) expect(Math.abs(waitOf(seen) - waitOf(real[i] ?? ""))).toBeLessThanOrEqual(1);
    const a = await login(10, user.username, "Wrong-passw0rd");
    const b = await login(10, ghost, "Wrong-passw0rd");
    expect(b.text).toBe(a.text);
  });

  it("is lifted by a password reset", async () => {
    const user = await newAccount();
    await failLogins(0, user.username, 5);
    expect((await now("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const code = await latestCode(user.email);
    const NEW = "Another-passphrase-77";
    const reset = await now("POST", "/auth/password/reset/", {
      json: { email: user.email, otp: code, password1: NEW, password2: NEW },
    });
    expect(reset.status).toBe(200);
    expect((await login(1, user.username, NEW)).status).toBe(200);
  });
});

describe("a signed-in user's password checks", () => {
  it("count toward the login lockout of their username: a stolen access token cannot guess the password", async () => {
    const user = await newAccount();
    const session = (await login(0, user.username, user.password)).body.data;
    const change = () =>
      now("POST", "/auth/password/change/", {
        headers: { authorization: `Bearer ${session.access}` },
        json: { old_password: "Wrong-passw0rd", password1: "Fresh-passphrase-12", password2: "Fresh-passphrase-12" },
      });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await change()).status);
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    // Locked now: the deletion's password check, and a login by username, wait too.
    const deletion = await now("DELETE", "/auth/user/delete/", {
      headers: { authorization: `Bearer ${session.access}` },
      json: { password: user.password },
    });
    expectFailure(deletion, 429, "RATE_LIMITED");
    expectFailure(await login(1, user.username, user.password), 429, "RATE_LIMITED");
    expect((await login(61, user.username, user.password)).status).toBe(200);
  });
});

describe("code lockout", () => {
  const confirm = (seconds: number, email: string, otp: string) =>
    at(seconds)("POST", "/auth/password/forget/confirm/", { json: { email, otp } });
  const wrong = (code: string) => String((Number(code) + 7) % 1_000_000).padStart(6, "0");

  it("locks code checks after five wrong codes, then a fresh code the owner asks for works", async () => {
    const user = await newAccount();
    expect((await now("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const first = await latestCode(user.email);
    // An attacker who knows only the email burns the code and locks the account's code checks.
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await confirm(0, user.email, wrong(first))).status);
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    expectFailure(await confirm(1, user.email, first), 429, "RATE_LIMITED");
    // After the cool-down the owner asks again (the resend cooldown is over too) and the new code works.
    expect((await at(61)("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const second = await latestCode(user.email, 1);
    const confirmed = await confirm(61, user.email, second);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.data.reset_token).toEqual(expect.any(String));
  });

  it("locks an unknown email's code checks the same way", async () => {
    const user = await newAccount();
    const ghost = `${uniqueName("ghost")}@example.com`;
    const real: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 6; i++) {
      real.push((await confirm(0, user.email, "000000")).status);
      unknown.push((await confirm(0, ghost, "000000")).status);
    }
    expect(unknown).toEqual(real);
    expect(real).toEqual([400, 400, 400, 400, 429, 429]);
  });

  it("keeps the lockout in Redis under a keyed digest of the name, never the name, with a bounded lifetime", async () => {
    const user = await newAccount();
    await failLogins(0, user.username, 5);
    const secret = `lockout:${JSON.parse(String(env.JWT_PRIVATE_KEY)).d}`;
    const key = `lockout:login:${await otpDigest(secret, "login", "", canonicalUsername(user.username))}`;
    const redis = testRedis();
    expect(await redis.hget(key, "level")).toBe("1");
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect(await redis.keys(`*${user.username}*`)).toEqual([]);
  });
});
