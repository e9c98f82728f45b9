// Never a 500, never a hang: the inputs and outages that once produced a 500 or a stalled request,
// each answered with its envelope now. Outages are made real: a closed port (unreachable) and a
// server that accepts connections and never answers (stalled).
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { jwtVerify, SignJWT } from "jose";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../src/app.ts";
import { users } from "../src/db/schema.ts";
import { AppError } from "../src/lib/errors.ts";
import { describeError, redact } from "../src/lib/redact.ts";
import {
  api,
  basic,
  bearer,
  buildRequest,
  expectFailure,
  latestCode,
  loginStatus,
  readResponse,
  signupBody,
  testDb,
  userRowById,
  userWithSession,
} from "./helpers.ts";

const stall = inject("stallUrl");
const CLOSED = "http://127.0.0.1:9";

// Config is parsed once per bindings object: each outage's env is built once.
const envs = {
  dbDown: { ...env, DATABASE_URL: `http://user:db-secret-pw@${CLOSED.slice(7)}` },
  dbStalled: { ...env, DATABASE_URL: `http://user:db-secret-pw@${stall.slice(7)}`, DATABASE_TIMEOUT_MS: "500" },
  redisStalled: { ...env, UPSTASH_REDIS_REST_URL: stall, REDIS_TIMEOUT_MS: "500" },
};

const app = createApp();
const send = (target: object, method: string, path: string, options: Parameters<typeof buildRequest>[2] = {}) =>
  readResponse(app.fetch(buildRequest(method, path, options), target));

function expectUnavailable(res: Awaited<ReturnType<typeof send>>, dependency: string, reason: string) {
  const details = expectFailure(res, 503, "SERVICE_UNAVAILABLE");
  expect(details).toEqual({ [dependency]: [reason] });
  expect(res.headers.get("retry-after")).toBe("5");
}

afterEach(() => vi.restoreAllMocks());

describe("content types that once gave a 500", () => {
  it("logs in with Basic and an empty form body (what `curl -u user:pass -d ''` sends)", async () => {
    const { user } = await userWithSession();
    const res = await api("POST", "/auth/user/login/", {
      body: "",
      headers: { ...basic(user.username, user.password), "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.access).toEqual(expect.any(String));
  });

  it("takes `application/json;` (a trailing semicolon) and odd parameters as JSON", async () => {
    for (const contentType of ["application/json;", "application/json; charset=UTF-8; x=1", "APPLICATION/JSON"]) {
      const res = await api("POST", "/auth/user/signup/", { body: "{}", headers: { "content-type": contentType } });
      expectFailure(res, 400, "VALIDATION_ERROR");
    }
    const body = signupBody();
    const created = await api("POST", "/auth/user/signup/", {
      body: JSON.stringify(body),
      headers: { "content-type": "application/json;" },
    });
    expect(created.status).toBe(201);
  });

  it("answers 415, not 500, for a non-JSON body on a route with an optional body", async () => {
    const res = await api("POST", "/auth/user/login/", { body: "username=a", headers: { "content-type": "text/plain" } });
    expectFailure(res, 415, "UNSUPPORTED_MEDIA_TYPE");
  });
});

describe("prototype-ish keys in update bodies", () => {
  const KEYS = ["constructor", "__proto__", "toString", "valueOf", "hasOwnProperty", "isPrototypeOf"];

  for (const path of ["/profile/update/", "/auth/user/update/"]) {
    it(`PUT ${path} names each of them as a field that cannot be updated`, async () => {
      const { session } = await userWithSession();
      for (const key of KEYS) {
        const res = await api("PUT", path, {
          headers: { ...bearer(session.access), "content-type": "application/json" },
          body: `{"${key}": 1}`,
        });
        const details = expectFailure(res, 400, "VALIDATION_ERROR");
        expect(Object.keys(details)).toEqual([key]);
      }
    });
  }
});

describe("a database that is down or stalled", () => {
  it("answers login and signup with 503 SERVICE_UNAVAILABLE and Retry-After when it cannot be reached", async () => {
    const body = signupBody();
    expectUnavailable(
      await send(envs.dbDown, "POST", "/auth/user/login/", { headers: basic(body.username, body.password) }),
      "db",
      "unreachable",
    );
    expectUnavailable(await send(envs.dbDown, "POST", "/auth/user/signup/", { json: body }), "db", "unreachable");
  });

  it("answers within its deadline (DATABASE_TIMEOUT_MS) when it accepts and never answers", async () => {
    const started = Date.now();
    const res = await send(envs.dbStalled, "POST", "/auth/user/login/", { headers: basic("someone", "Some-passw0rd") });
    const elapsed = Date.now() - started;
    expectUnavailable(res, "db", "timed out");
    expect(elapsed).toBeLessThan(3000);
  });

  it("logs the outage once, with the request id and no credentials", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const res = await send(envs.dbDown, "POST", "/auth/user/login/", { headers: basic("someone", "Some-passw0rd") });
    expect(res.status).toBe(503);
    const lines = errors.mock.calls.map((call) => call.join(" "));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      level: "error",
      event: "request_failed",
      code: "SERVICE_UNAVAILABLE",
      request_id: res.headers.get("x-request-id"),
    });
    expect(lines[0]).not.toContain("db-secret-pw");
    expect(lines[0]).not.toContain("Some-passw0rd");
  });
});

/** The worker's env with MySQL reached through a fault proxy (and a short deadline). */
const dbThrough = (proxy: string, timeoutMs = 500) => ({
  ...env,
  DATABASE_URL: Object.assign(new URL(String(env.DATABASE_URL)), { host: new URL(proxy).host }).toString(),
  DATABASE_TIMEOUT_MS: String(timeoutMs),
});

describe("a query whose answer begins in time and whose body comes slowly", () => {
  // DATABASE_TIMEOUT_MS is a deadline for the answer to begin and another for its body: a busy
  // database (or isolate) must not turn an answer that did begin in time into a 503.
  it("is read to its end within the body's own deadline (200, though past the first)", async () => {
    const { session } = await userWithSession();
    const started = Date.now();
    const res = await send(dbThrough(inject("faults").dbBodyLate, 1000), "GET", "/profile/", {
      headers: { authorization: `Bearer ${session.access}` },
    });
    expect(res.status, res.text).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
  });

  it("gives up when the body does not come within its deadline (503 timed out, well before the body)", async () => {
    const { session } = await userWithSession();
    const started = Date.now();
    const res = await send(dbThrough(inject("faults").dbBodyStalls, 1000), "GET", "/profile/", {
      headers: { authorization: `Bearer ${session.access}` },
    });
    expectUnavailable(res, "db", "timed out");
    expect(Date.now() - started).toBeLessThan(3500);
  });
});

describe("a write whose answer comes after the deadline", () => {
  it("signup looks for the row it may have written: the account exists, so the answer is 201, not 503", async () => {
    const target = dbThrough(inject("faults").dbInsertLate);
    const body = signupBody();
    const res = await send(target, "POST", "/auth/user/signup/", { json: body });
    expect(res.status, res.text).toBe(201);
    expect((await userRowById(res.body.data.user_id))?.username).toBe(body.username);
  });

  it("a signup retried after an answer that did not say it was done gets its account (201, the same user), not 'taken'", async () => {
    // The first try was applied (whatever it answered); the client tries the same request again.
    const body = signupBody();
    const first = await api("POST", "/auth/user/signup/", { json: body });
    expect(first.status).toBe(201);
    const retried = await api("POST", "/auth/user/signup/", { json: body });
    expect(retried.status, retried.text).toBe(201);
    expect(retried.body.data.user_id).toBe(first.body.data.user_id);
    // Anyone else with the same names (without that password) is told they are taken, as before.
    const other = expectFailure(
      await api("POST", "/auth/user/signup/", { json: { ...body, password: "Other-passw0rd-5", password2: "Other-passw0rd-5" } }),
      400,
      "VALIDATION_ERROR",
    );
    expect(other).toEqual({ username: ["This username is already taken."], email: ["This email is already registered."] });
    // And an hour later the retry is over: the same request is a duplicate again.
    const later = createApp({ clock: { now: () => new Date(Date.now() + 3601 * 1000) } });
    const late = await readResponse(later.fetch(buildRequest("POST", "/auth/user/signup/", { json: body }), env));
    expectFailure(late, 400, "VALIDATION_ERROR");
  });

  it("is no way around the sign-in budget: wrong passwords count against the username's budget, then even the right one is 'taken'", async () => {
    const body = signupBody();
    expect((await api("POST", "/auth/user/signup/", { json: body })).status).toBe(201);
    for (let i = 0; i < 10; i++) {
      const guess = `Guess-passw0rd-${i}`;
      expectFailure(
        await api("POST", "/auth/user/signup/", { json: { ...body, password: guess, password2: guess } }),
        400,
        "VALIDATION_ERROR",
      );
    }
    // The budget (10 an hour) is used up: no more password checks by signup, nor by login.
    expectFailure(await api("POST", "/auth/user/signup/", { json: body }), 400, "VALIDATION_ERROR");
    expectFailure(
      await api("POST", "/auth/user/login/", { json: { username: body.username, password: body.password } }),
      429,
      "RATE_LIMITED",
    );
  });

  it("a password change whose revocation failed (503) is completed by its retry: 200, and every other session dies", async () => {
    const { user, session } = await userWithSession();
    const other = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data;
    const NEW = "Changed-once-passw0rd";
    const json = { old_password: user.password, password1: NEW, password2: NEW };
    const failing = { ...env, UPSTASH_REDIS_REST_URL: inject("faults").redisRevoke };
    const first = await send(failing, "POST", "/auth/password/change/", { headers: bearer(session.access), json });
    expectFailure(first, 503, "SERVICE_UNAVAILABLE");
    // The UPDATE was applied (the new password is the account's already), the revocation was not.
    expect((await userRowById(user.id))?.tokensValidAfter).not.toBeNull();
    const retried = await api("POST", "/auth/password/change/", { headers: bearer(session.access), json });
    expect(retried.status, retried.text).toBe(200);
    expect((await api("POST", "/auth/jwt/check/", { headers: bearer(retried.body.data.access) })).status).toBe(200);
    for (const old of [session, other]) {
      expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(old.access) }), 401, "INVALID_TOKEN");
    }
    // Not a way around the old password: a wrong one with some other new password is still refused.
    const fresh = retried.body.data.access as string;
    const wrong = await api("POST", "/auth/password/change/", {
      headers: bearer(fresh),
      json: { old_password: "Not-the-passw0rd", password1: "Yet-another-passw0rd", password2: "Yet-another-passw0rd" },
    });
    expect(expectFailure(wrong, 400, "VALIDATION_ERROR").old_password).toBeDefined();
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, NEW) })).status).toBe(200);
  });
});

describe("a one-time code whose write did not answer (503)", () => {
  const { dbCodeWriteFails, dbCodeWriteLate } = inject("faults");
  const confirmEmail = (target: object, access: string, otp: string) =>
    send(target, "POST", "/auth/confirm/email/", { headers: bearer(access), json: { otp } });

  for (const [what, proxy, applied, reason] of [
    ["was not applied", dbCodeWriteFails, false, "unreachable"],
    ["committed late", dbCodeWriteLate, true, "timed out"],
  ] as const) {
    it(`email verification: the write ${what}, the code is given back and the retry with it verifies (200)`, async () => {
      const { user, session } = await userWithSession();
      expect((await api("POST", "/auth/verify/email/", { headers: bearer(session.access) })).status).toBe(200);
      const otp = await latestCode(user.email);
      expectUnavailable(await confirmEmail(dbThrough(proxy), session.access, otp), "db", reason);
      expect((await userRowById(user.id))?.isEmailVerified).toBe(applied);
      const retried = await confirmEmail(env, session.access, otp);
      expect(retried.status, retried.text).toBe(200);
      expect((await userRowById(user.id))?.isEmailVerified).toBe(true);
      // Still single use: the code is spent by the retry that answered.
      expectFailure(await confirmEmail(env, session.access, otp), 400, "OTP_INVALID");
    });

    it(`password reset: the write ${what}, the code is given back and the retry with it sets the password (200)`, async () => {
      const { user } = await userWithSession();
      expect((await api("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
      const otp = await latestCode(user.email);
      const NEW = "Given-back-passw0rd";
      const json = { email: user.email, otp, password1: NEW, password2: NEW };
      expectUnavailable(await send(dbThrough(proxy), "POST", "/auth/password/reset/", { json }), "db", reason);
      expect(await loginStatus(user.username, NEW)).toBe(applied ? 200 : 401);
      const retried = await api("POST", "/auth/password/reset/", { json });
      expect(retried.status, retried.text).toBe(200);
      expect(await loginStatus(user.username, NEW)).toBe(200);
      expect(await loginStatus(user.username, user.password)).toBe(401);
    });
  }

  it("keeps a code spent when the request was refused (4xx): a wrong-address code is not given back", async () => {
    const { user, session } = await userWithSession();
    expect((await api("POST", "/auth/verify/email/", { headers: bearer(session.access) })).status).toBe(200);
    const otp = await latestCode(user.email);
    // The address changes under the code (as an email change would): the write matches no row.
    const moved = `moved.${user.email}`;
    await testDb().update(users).set({ email: moved, emailCanonical: moved.toLowerCase() }).where(eq(users.id, user.id));
    expectFailure(await confirmEmail(env, session.access, otp), 400, "VALIDATION_ERROR");
    expectFailure(await confirmEmail(env, session.access, otp), 400, "OTP_INVALID");
  });
});

describe("a stalled Redis", () => {
  it("answers a token check with 503 within REDIS_TIMEOUT_MS, failing closed", async () => {
    const { session } = await userWithSession();
    const started = Date.now();
    const res = await send(envs.redisStalled, "POST", "/auth/jwt/check/", { headers: bearer(session.access) });
    expectUnavailable(res, "redis", "timed out");
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe("log redaction", () => {
  it("masks SQL parameters, emails, hashes, tokens, codes and URL credentials", () => {
    const message =
      "Failed query: insert into `users` (`id`, `email`, `password_hash`) values ('5d1c0b1e-1c1a-4b7e-9d3e-1f2a3b4c5d6e', 'asha@example.com', 'pbkdf2-sha256$100000$p$AAAAAAAAAAAAAAAAAAAAAA$BBBB') " +
      "code 123456 to +91 98765 43210, Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln at https://user:s3cret@db.example.com";
    const safe = redact(message);
    for (const secret of ["asha@example.com", "pbkdf2-sha256", "123456", "98765", "eyJhbGciOiJFZERTQSJ9", "s3cret", "5d1c0b1e"]) {
      expect(safe).not.toContain(secret);
    }
    expect(safe).toContain("Failed query: insert into `users`");
  });

  it("masks a Basic credential however short", () => {
    const safe = redact("login failed for header Authorization: Basic YXNoYTpodW50ZXIy");
    expect(safe).not.toContain("YXNoYTpodW50ZXIy");
    expect(safe).toContain("login failed for header Authorization:");
  });

  it("masks double-quoted values, as in a JSON body", () => {
    const safe = redact('Unexpected token in body {"password":"hunter2"}');
    expect(safe).not.toContain("hunter2");
    expect(safe).toContain("Unexpected token in body");
  });

  it("describes a cause chain without the secrets of any link", () => {
    const error = new Error("DrizzleQueryError: params: bob@example.com", {
      cause: new TypeError("connect to https://u:pw-x@h failed"),
    });
    const line = describeError(error);
    expect(line).toMatch(/^Error: .* <- TypeError: /);
    expect(line).not.toContain("bob@example.com");
    expect(line).not.toContain("pw-x");
  });

  it("names an error by its code too: a library error's class name does not survive minifying", async () => {
    const expired = await jwtVerify(
      await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setExpirationTime(0).sign(new Uint8Array(32)),
      new Uint8Array(32),
    ).catch((error: unknown) => error);
    expect(describeError(expired)).toMatch(/^\w+ \[ERR_JWT_EXPIRED\]: /);
    // Long codes are printed as they are: the secret-masking rule would take them for tokens.
    const forged = await jwtVerify(
      await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).sign(new Uint8Array(32)),
      new Uint8Array(32).fill(1),
    ).catch((error: unknown) => error);
    expect(describeError(forged)).toMatch(/^\w+ \[ERR_JWS_SIGNATURE_VERIFICATION_FAILED\]: signature verification failed$/);
    const line = describeError(new AppError("SERVICE_UNAVAILABLE", { message: "redis down", cause: new Error("x") }));
    expect(line).toBe("AppError [SERVICE_UNAVAILABLE]: redis down <- Error: x");
    // A code that repeats the message adds nothing; one that is not a constant may be client data.
    expect(describeError(new AppError("NOT_FOUND"))).toBe("AppError: NOT_FOUND");
    expect(describeError(Object.assign(new Error("boom"), { code: "user@example.com" }))).toBe("Error: boom");
  });
});
