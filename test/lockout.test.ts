// Lockouts that stop guessing without denying the owner (docs/lockout.md). Clients without a
// device token share a budget per name typed (10 failed guesses an hour, 50 a day: 20 and 100 per
// account, which has a username and an email); a known device has a lockout of its own; the
// mailbox path and signed-in actions are not behind the sign-in lockout at all. Unknown accounts
// behave exactly like real ones. The clock is injected to step through windows; every request
// has its own client IP, so per-IP limits stay out of it.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { canonicalEmail, canonicalUsername } from "../src/lib/identifiers.ts";
import { otpDigest } from "../src/lib/otp.ts";
import { generateTotp } from "../src/lib/totp.ts";
import {
  basic,
  buildRequest,
  expectFailure,
  latestCode,
  outbox,
  readResponse,
  signupBody,
  testRedis,
  uniqueName,
} from "./helpers.ts";

const HOUR = 3600;

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

const withDevice = (token: string | undefined): Record<string, string> => (token ? { "device-token": token } : {});

const login = (seconds: number, name: string, password: string, device?: string) =>
  at(seconds)("POST", "/auth/user/login/", { headers: { ...basic(name, password), ...withDevice(device) } });

const jsonLogin = (seconds: number, field: "username" | "email", name: string, password: string, device?: string) =>
  at(seconds)("POST", "/auth/user/login/", { json: { [field]: name, password }, headers: withDevice(device) });

/** Signs in and returns the session and the device token handed out with it. */
async function signIn(seconds: number, name: string, password: string, device?: string) {
  const res = await login(seconds, name, password, device);
  expect(res.status, res.text).toBe(200);
  const token = res.headers.get("device-token");
  expect(token).toEqual(expect.any(String));
  return { session: res.body.data as { access: string; refresh: string }, device: token as string, res };
}

/** Fails `count` logins (each from its own IP, no device token) and returns "status code retry-after" of each. */
async function failLogins(seconds: number, name: string, count: number, device?: string) {
  const seen: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await login(seconds, name, "Wrong-passw0rd", device);
    seen.push(`${res.status} ${res.body?.error?.code} ${res.headers.get("retry-after") ?? "-"}`);
  }
  return seen;
}

const withoutWait = (seen: string) => seen.split(" ").slice(0, 2).join(" ");
const waitOf = (seen: string) => Number(seen.split(" ")[2]) || 0;
const WRONG = "401 INVALID_CREDENTIALS -";

/** The Redis key of a name's budget: a keyed digest of the name, never the name. */
async function budgetKey(name: string) {
  const secret = `lockout:${JSON.parse(String(env.JWT_PRIVATE_KEY)).d}`;
  return `lockout:login:${await otpDigest(secret, "login", "", name)}`;
}
/** Failed guesses a name's budget counted (evaluated) in the last day. */
const counted = async (name: string) => Number(await testRedis().zcard(await budgetKey(name)));

describe("the sign-in budget of clients without a device token", () => {
  it("evaluates 10 wrong passwords of a name an hour; the 10th answers 429, and then even the right one waits", async () => {
    const user = await newAccount();
    const seen = await failLogins(0, user.username, 12);
    expect(seen.slice(0, 9)).toEqual(Array(9).fill(WRONG));
    for (const refused of seen.slice(9)) expect(withoutWait(refused)).toBe("429 RATE_LIMITED");
    // The budget ends when its oldest failure is an hour old: about an hour from now.
    expect(waitOf(seen[9] ?? "")).toBeGreaterThan(HOUR - 30);
    expect(waitOf(seen[9] ?? "")).toBeLessThanOrEqual(HOUR);
    expectFailure(await login(1, user.username, user.password), 429, "RATE_LIMITED");
    expect(await counted(canonicalUsername(user.username))).toBe(10);
    expect((await login(HOUR + 5, user.username, user.password)).status).toBe(200);
  });

  it("holds from any number of IPs: at most 20 evaluated guesses an hour and 100 a day per account", async () => {
    const user = await newAccount();
    const names = [user.username, user.email];
    const evaluatedPerHour: number[] = [];
    for (let hour = 0; hour < 6; hour++) {
      const before = (await counted(canonicalUsername(user.username))) + (await counted(canonicalEmail(user.email)));
      // 15 tries by each name, every one from a new IP, none with a device token.
      for (const name of names) await failLogins(hour * HOUR + 1, name, 15);
      const after = (await counted(canonicalUsername(user.username))) + (await counted(canonicalEmail(user.email)));
      evaluatedPerHour.push(after - before);
    }
    expect(evaluatedPerHour).toEqual([20, 20, 20, 20, 20, 0]);
    expect(evaluatedPerHour.reduce((sum, n) => sum + n, 0)).toBe(100);
  });

  it("cannot be stretched: tries while a budget is full are refused uncounted, and it ends on time", async () => {
    const user = await newAccount();
    await failLogins(0, user.username, 10);
    const during = await failLogins(600, user.username, 30);
    for (const seen of during) expect(seen).toMatch(/^429 RATE_LIMITED \d+$/);
    expect(Math.max(...during.map(waitOf))).toBeLessThanOrEqual(HOUR - 600);
    expect(await counted(canonicalUsername(user.username))).toBe(10);
    expect((await login(HOUR + 5, user.username, user.password)).status).toBe(200);
  });

  it("treats an unknown account exactly like a real one: same answers, same budget, same Retry-After", async () => {
    const user = await newAccount();
    const ghost = uniqueName("ghost");
    const real: string[] = [];
    const unknown: string[] = [];
    for (let i = 0; i < 11; i++) {
      real.push(...(await failLogins(0, user.username, 1)));
      unknown.push(...(await failLogins(0, ghost, 1)));
    }
    expect(unknown.map(withoutWait)).toEqual(real.map(withoutWait));
    for (const [i, seen] of unknown.entries()) expect(Math.abs(waitOf(seen) - waitOf(real[i] ?? ""))).toBeLessThanOrEqual(1);
    const a = await login(10, user.username, "Wrong-passw0rd");
    const b = await login(10, ghost, "Wrong-passw0rd");
    expect(b.status).toBe(a.status);
    expect(b.text).toBe(a.text);
    expect([...b.headers.keys()].sort()).toEqual([...a.headers.keys()].sort());
  });

  it("keeps the budget in Redis under a keyed digest of the name, never the name, for at most a day", async () => {
    const user = await newAccount();
    await failLogins(0, user.username, 3);
    const key = await budgetKey(canonicalUsername(user.username));
    const redis = testRedis();
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect(await redis.keys(`*${user.username}*`)).toEqual([]);
  });
});

describe("known devices", () => {
  it("a signed-in device keeps its own budget: strangers who used up the names' budgets do not stop it", async () => {
    const user = await newAccount();
    const { device } = await signIn(0, user.username, user.password);
    await failLogins(0, user.username, 10);
    await failLogins(0, user.email, 10);
    expectFailure(await login(1, user.username, user.password), 429, "RATE_LIMITED");
    const back = await signIn(1, user.email, user.password, device);
    // The device keeps its id across sign-ins; its token is fresh.
    expect(back.device).not.toBe(device);
    expect(back.device.split(".")[1]).toBe(device.split(".")[1]);
    // Its own failures lock only the device (5, then 60 s, doubling), never the names.
    const own = await failLogins(2, user.username, 5, back.device);
    expect(own).toEqual([WRONG, WRONG, WRONG, WRONG, "429 RATE_LIMITED 60"]);
    expectFailure(await login(3, user.username, user.password, back.device), 429, "RATE_LIMITED");
    expect((await login(63, user.username, user.password, back.device)).status).toBe(200);
  });

  it("is sent as an HttpOnly, Secure, SameSite=Strict cookie too, which works like the header", async () => {
    const user = await newAccount();
    const { res } = await signIn(0, user.username, user.password);
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^device_token=[^;]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/auth/);
    await failLogins(0, user.username, 10);
    const fromBrowser = await at(1)("POST", "/auth/user/login/", {
      headers: { ...basic(user.username, user.password), cookie: cookie.split(";")[0] as string },
    });
    expect(fromBrowser.status).toBe(200);
  });

  it("is bound to its user: another user's token gives no budget", async () => {
    const [victim, attacker] = [await newAccount(), await newAccount()];
    const { device } = await signIn(0, attacker.username, attacker.password);
    const seen = await failLogins(0, victim.username, 11, device);
    expect(seen.slice(0, 9)).toEqual(Array(9).fill(WRONG));
    expect(withoutWait(seen[10] ?? "")).toBe("429 RATE_LIMITED");
    // Counted against the victim's name, like any client without a token of the victim's.
    expect(await counted(canonicalUsername(victim.username))).toBe(10);
    expectFailure(await login(1, victim.username, victim.password, device), 429, "RATE_LIMITED");
    expectFailure(await login(1, victim.username, victim.password, "d1.forged.1.AAAA"), 429, "RATE_LIMITED");
  });

  it("expires after 30 days", async () => {
    const user = await newAccount();
    const { device } = await signIn(0, user.username, user.password);
    const later = 31 * 24 * HOUR;
    await failLogins(later, user.username, 10);
    expectFailure(await login(later + 1, user.username, user.password, device), 429, "RATE_LIMITED");
  });

  it("dies on logout-all", async () => {
    const user = await newAccount();
    const { device, session } = await signIn(0, user.username, user.password);
    const out = await now("POST", "/auth/user/logout-all/", { headers: { authorization: `Bearer ${session.access}` } });
    expect(out.status, out.text).toBe(200);
    await failLogins(1, user.username, 10);
    expectFailure(await login(2, user.username, user.password, device), 429, "RATE_LIMITED");
  });

  it("dies on password change", async () => {
    const user = await newAccount();
    const { device, session } = await signIn(0, user.username, user.password);
    const NEW = "Another-passphrase-77";
    const changed = await now("POST", "/auth/password/change/", {
      headers: { authorization: `Bearer ${session.access}` },
      json: { old_password: user.password, password1: NEW, password2: NEW },
    });
    expect(changed.status, changed.text).toBe(200);
    await failLogins(1, user.username, 10);
    expectFailure(await login(2, user.username, NEW, device), 429, "RATE_LIMITED");
  });

  it("is handed out afresh to the device that changed the password, which stays known", async () => {
    const user = await newAccount();
    const { device, session } = await signIn(0, user.username, user.password);
    const NEW = "Another-passphrase-78";
    const changed = await now("POST", "/auth/password/change/", {
      headers: { authorization: `Bearer ${session.access}`, "device-token": device },
      json: { old_password: user.password, password1: NEW, password2: NEW },
    });
    expect(changed.status, changed.text).toBe(200);
    const fresh = changed.headers.get("device-token") ?? "";
    expect(changed.headers.get("set-cookie")).toContain("device_token=");
    // The same device id, a new issue time.
    expect(fresh.split(".")[1]).toBe(device.split(".")[1]);
    expect(fresh).not.toBe(device);
    await failLogins(1, user.username, 10);
    expect((await login(2, user.username, NEW, fresh)).status).toBe(200);
  });
});

describe("the attack of the issue: 20 requests from strangers", () => {
  const wrong = "000000";
  it("leaves the owner a known device, the mailbox and their signed-in session, even once the budgets are used up", async () => {
    const user = await newAccount();
    const { device, session } = await signIn(0, user.username, user.password);
    // 5 wrong passwords by username, 5 by email, 5 wrong reset codes by email, 5 by username.
    for (let i = 0; i < 5; i++) {
      await jsonLogin(0, "username", user.username, "Wrong-passw0rd");
      await jsonLogin(0, "email", user.email, "Wrong-passw0rd");
      await now("POST", "/auth/password/forget/confirm/", { json: { email: user.email, otp: wrong } });
      await now("POST", "/auth/password/forget/confirm/", { json: { username: user.username, otp: wrong } });
    }
    // ...and as many more as it takes to use up both names' budgets.
    await failLogins(0, user.username, 10);
    await failLogins(0, user.email, 10);
    expectFailure(await jsonLogin(1, "email", user.email, user.password), 429, "RATE_LIMITED");

    // From the known device, with the right password: in.
    const back = await jsonLogin(1, "username", user.username, user.password, device);
    expect(back.status, back.text).toBe(200);
    // Signed in, the owner changes the password (limited per session, not by the sign-in budget).
    const NEW = "Another-passphrase-77";
    const changed = await now("POST", "/auth/password/change/", {
      headers: { authorization: `Bearer ${session.access}` },
      json: { old_password: user.password, password1: NEW, password2: NEW },
    });
    expect(changed.status, changed.text).toBe(200);
    // Through the mailbox from a fresh IP (every request here has its own): code, confirm, reset.
    expect((await now("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const code = await latestCode(user.email);
    const confirmed = await now("POST", "/auth/password/forget/confirm/", { json: { email: user.email, otp: code } });
    expect(confirmed.status, confirmed.text).toBe(200);
    const RESET = "Third-passphrase-99";
    const reset = await now("POST", "/auth/password/reset/", {
      json: { email: user.email, reset_token: confirmed.body.data.reset_token, password1: RESET, password2: RESET },
    });
    expect(reset.status, reset.text).toBe(200);
    // A reset lifts the names' budgets: the guesses counted were guesses at the old password.
    expect((await login(2, user.username, RESET)).status).toBe(200);
  });

  it("signs the owner in from a known device, by username and by email, JSON and Basic", async () => {
    const user = await newAccount();
    const { device } = await signIn(0, user.username, user.password);
    await failLogins(0, user.username, 10);
    await failLogins(0, user.email, 10);
    let token = device;
    for (const attempt of [
      () => jsonLogin(1, "username", user.username, user.password, token),
      () => jsonLogin(1, "email", user.email, user.password, token),
      () => login(1, user.username, user.password, token),
      () => login(1, user.email, user.password, token),
    ]) {
      const res = await attempt();
      expect(res.status, res.text).toBe(200);
      token = res.headers.get("device-token") ?? token;
    }
  });
});

describe("the mailbox path", () => {
  const confirm = (seconds: number, names: Record<string, string>, otp: string) =>
    at(seconds)("POST", "/auth/password/forget/confirm/", { json: { ...names, otp } });

  it("is never blocked: 20 wrong codes from strangers do not stop the owner's reset with the code in their mailbox", async () => {
    const user = await newAccount();
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await confirm(0, { email: user.email }, "000000")).status);
      statuses.push((await confirm(0, { username: user.username }, "000000")).status);
    }
    expect(new Set(statuses)).toEqual(new Set([400]));
    await failLogins(0, user.email, 10);
    expect((await now("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const code = await latestCode(user.email);
    const NEW = "Another-passphrase-77";
    const reset = await now("POST", "/auth/password/reset/", {
      json: { email: user.email, otp: code, password1: NEW, password2: NEW },
    });
    expect(reset.status, reset.text).toBe(200);
    expect((await login(1, user.email, NEW)).status).toBe(200);
  });

  it("a code dies after 5 wrong tries; the owner's next code works", async () => {
    const user = await newAccount();
    expect((await now("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const first = await latestCode(user.email);
    const wrong = String((Number(first) + 7) % 1_000_000).padStart(6, "0");
    for (let i = 0; i < 5; i++) expectFailure(await confirm(0, { email: user.email }, wrong), 400, "OTP_INVALID");
    expectFailure(await confirm(0, { email: user.email }, first), 400, "OTP_INVALID");
    expect((await at(61)("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
    const second = await latestCode(user.email, 1);
    expect((await confirm(61, { email: user.email }, second)).status).toBe(200);
  });

  it("sends an account at most 5 codes an hour; the last one sent keeps working", async () => {
    const user = await newAccount();
    for (let i = 0; i < 7; i++) {
      expect((await at(i * 61)("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
      if (i < 5) await latestCode(user.email, i);
    }
    const last = await latestCode(user.email, 4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await outbox(user.email)).toHaveLength(5);
    expect((await confirm(7 * 61, { email: user.email }, last)).status).toBe(200);
  });

  it("answers unknown names exactly like real ones", async () => {
    const user = await newAccount();
    const ghost = `${uniqueName("ghost")}@example.com`;
    for (let i = 0; i < 6; i++) {
      const a = await confirm(0, { email: user.email }, "000000");
      const b = await confirm(0, { email: ghost }, "000000");
      expect(b.status).toBe(a.status);
      expect(b.text).toBe(a.text);
    }
  });
});

describe("signed-in actions", () => {
  it("are limited per session: a stolen access token cannot guess the password, and other sessions are not affected", async () => {
    const user = await newAccount();
    const stolen = (await signIn(0, user.username, user.password)).session;
    const own = (await signIn(0, user.username, user.password)).session;
    const change = (session: { access: string }, old: string) =>
      now("POST", "/auth/password/change/", {
        headers: { authorization: `Bearer ${session.access}` },
        json: { old_password: old, password1: "Fresh-passphrase-12", password2: "Fresh-passphrase-12" },
      });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await change(stolen, "Wrong-passw0rd")).status);
    expect(statuses).toEqual([400, 400, 400, 400, 429]);
    expectFailure(await change(stolen, user.password), 429, "RATE_LIMITED");
    // Sign-ins and the owner's other session are untouched.
    expect((await login(1, user.username, user.password)).status).toBe(200);
    expect((await change(own, user.password)).status).toBe(200);
  });
});

describe("second-factor answers", () => {
  async function twoFactorAccount() {
    const user = await newAccount();
    const { session } = await signIn(0, user.username, user.password);
    const auth = { authorization: `Bearer ${session.access}` };
    const setup = await now("POST", "/auth/secure/2fa/setup/", { headers: auth, json: { password: user.password } });
    const secret = String(setup.body.data.secret);
    const confirmed = await now("POST", "/auth/secure/2fa/confirm/", {
      headers: auth,
      json: { code: generateTotp(secret, Date.now() - 30_000) },
    });
    expect(confirmed.status, confirmed.text).toBe(200);
    return { user, secret };
  }
  const verify = (seconds: number, json: object, device?: string) =>
    at(seconds)("POST", "/auth/secure/2fa/verify/", { json, headers: withDevice(device) });
  const mfaToken = async (seconds: number, user: { username: string; password: string }, device?: string) => {
    const res = await login(seconds, user.username, user.password, device);
    expect(res.body?.data?.mfa_required, res.text).toBe(true);
    return String(res.body.data.mfa_token);
  };

  it("5 per mfa_token and 20 an hour per account from strangers; a known device still gets in", async () => {
    const { user, secret } = await twoFactorAccount();
    // The owner's device completes a sign-in once (password and code): it is known from now on.
    const ownerToken = await mfaToken(0, user);
    const signedIn = await verify(0, { mfa_token: ownerToken, code: generateTotp(secret, Date.now()) });
    expect(signedIn.status, signedIn.text).toBe(200);
    const device = signedIn.headers.get("device-token") ?? "";
    expect(device).not.toBe("");

    const answers: string[] = [];
    for (let round = 0; round < 5; round++) {
      const token = await mfaToken(1, user);
      for (let i = 0; i < 6; i++) {
        const res = await verify(1, { mfa_token: token, code: "000000" });
        answers.push(`${res.status} ${res.body?.error?.code}`);
      }
    }
    // Each token: 5 wrong answers, then it is gone; the 20th wrong answer fills the account's budget.
    const invalid = answers.filter((a) => a === "400 OTP_INVALID").length;
    expect(invalid).toBe(19);
    expect(answers.slice(0, 6)).toEqual([...Array(5).fill("400 OTP_INVALID"), "401 MFA_TOKEN_INVALID"]);
    expect(answers[22]).toBe("429 RATE_LIMITED");
    expect(answers.slice(24)).toEqual(Array(6).fill("429 RATE_LIMITED"));
    // A stranger with the password and the right code: refused before the code is looked at.
    expectFailure(
      await verify(2, { mfa_token: await mfaToken(2, user), code: generateTotp(secret, Date.now()) }),
      429,
      "RATE_LIMITED",
    );
    // The owner's known device: its own budget.
    const fromDevice = await verify(3, {
      mfa_token: await mfaToken(3, user, device),
      code: generateTotp(secret, Date.now() + 30_000),
    });
    expect(fromDevice.status, fromDevice.text).toBe(200);
  });
});
