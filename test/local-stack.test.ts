// The local protocol servers on their own, through the same drivers the worker uses in production,
// and the round-trip budget of each endpoint as those servers count it. Both live in this one file
// on purpose: it is the only user of the private "probe" server pair, so the counters see no
// traffic from test files running in parallel.

import { env } from "cloudflare:workers";
import { Client, DatabaseError } from "@planetscale/database";
import { Redis } from "@upstash/redis/cloudflare";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { SoftAuthenticator } from "../local/software-authenticator.ts";
import { createApp } from "../src/app.ts";
import { securityEvents } from "../src/db/schema.ts";
import { generateTotp } from "../src/lib/totp.ts";
import {
  basic,
  bearer,
  buildRequest,
  eventually,
  latestCode,
  type RequestOptions,
  signupBody,
  testDb,
  uniqueName,
  userRowById,
} from "./helpers.ts";
import { APP_VERIFIER, Browser, callback, signInAtDevProvider, startFlow } from "./oauth-helpers.ts";

const probe = inject("probe");
const db = () => new Client({ url: probe.databaseUrl });
const redis = () =>
  new Redis({
    url: probe.redisRestUrl,
    token: probe.redisRestToken,
    retry: false,
    automaticDeserialization: false,
    enableAutoPipelining: false,
  });
const table = `probe_${Date.now().toString(36)}`;

async function stats(base: string): Promise<{ total: number; byPath: Record<string, number> }> {
  return (await fetch(`${base}/__stats`)).json();
}
async function resetStats() {
  await fetch(`${probe.planetscaleUrl}/__stats/reset`, { method: "POST" });
  await fetch(`${probe.redisRestUrl}/__stats/reset`, { method: "POST" });
}

describe("PlanetScale HTTP protocol server", () => {
  beforeAll(async () => {
    await db().execute(
      `CREATE TABLE ${table} (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50), data JSON, raw VARBINARY(16), amount DECIMAL(10,2), at DATETIME(3), flag BOOLEAN)`,
    );
  });

  it("returns NULLs, text, JSON, bytes, decimals, datetimes and 64-bit integers as the driver expects", async () => {
    const client = db();
    const insert = await client.execute(`INSERT INTO ${table} (name, data, raw, amount, at, flag) VALUES (?, ?, ?, ?, ?, ?)`, [
      "naïve ☃",
      JSON.stringify({ a: [1, 2], b: null }),
      new Uint8Array([0, 255, 10, 13]),
      "12.50",
      "2026-01-02 03:04:05.678",
      true,
    ]);
    expect(insert.rowsAffected).toBe(1);
    expect(Number(insert.insertId)).toBeGreaterThan(0);
    await client.execute(`INSERT INTO ${table} (name) VALUES (NULL)`);
    const { rows } = await client.execute(`SELECT * FROM ${table} ORDER BY id`);
    expect(rows[0]).toMatchObject({
      name: "naïve ☃",
      data: { a: [1, 2], b: null },
      amount: "12.50",
      at: "2026-01-02 03:04:05.678",
      flag: 1,
    });
    expect(Array.from((rows[0] as { raw: Uint8Array }).raw)).toEqual([0, 255, 10, 13]);
    expect(rows[1]).toMatchObject({ name: null, data: null, raw: null, amount: null, at: null, flag: null });
    const big = await client.execute(
      "SELECT CAST(9223372036854775807 AS SIGNED) AS big, 18446744073709551615 AS ubig, -1 AS neg",
    );
    expect(big.rows[0]).toEqual({ big: "9223372036854775807", ubig: "18446744073709551615", neg: -1 });
  });

  it("commits a transaction on success and pins it to one connection", async () => {
    const client = db();
    await client.transaction(async (tx) => {
      await tx.execute(`INSERT INTO ${table} (name) VALUES ('committed')`);
      // Visible inside the transaction, not outside it before COMMIT.
      expect((await tx.execute(`SELECT COUNT(*) AS n FROM ${table} WHERE name = 'committed'`)).rows[0]).toEqual({ n: "1" });
      expect((await db().execute(`SELECT COUNT(*) AS n FROM ${table} WHERE name = 'committed'`)).rows[0]).toEqual({ n: "0" });
    });
    expect((await client.execute(`SELECT COUNT(*) AS n FROM ${table} WHERE name = 'committed'`)).rows[0]).toEqual({ n: "1" });
  });

  it("rolls a transaction back when it throws", async () => {
    const client = db();
    await expect(
      client.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${table} (name) VALUES ('rolled back')`);
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect((await client.execute(`SELECT COUNT(*) AS n FROM ${table} WHERE name = 'rolled back'`)).rows[0]).toEqual({ n: "0" });
  });

  it("reports SQL errors in the protocol's error shape (HTTP 200, {session, error})", async () => {
    const raw = await fetch(`${probe.planetscaleUrl}/psdb.v1alpha1.Database/Execute`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa(`probe:${probe.redisRestToken}`)}`, "content-type": "application/json" },
      body: JSON.stringify({ query: "SELEC 1", session: null }),
    });
    expect(raw.status).toBe(200);
    const body = (await raw.json()) as { session: unknown; error: { code: string; message: string } };
    expect(body.session).toBeTruthy();
    expect(body.error.code).toBe("INVALID_ARGUMENT");
    expect(body.error.message).toMatch(/\(errno 1064\) \(sqlstate 42000\)$/);
    const thrown = await db()
      .execute("SELECT * FROM no_such_table")
      .catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(DatabaseError);
    expect((thrown as DatabaseError).message).toContain("errno 1146");
  });

  it("reports duplicate keys as ALREADY_EXISTS with MySQL's message", async () => {
    const client = db();
    await client.execute(`CREATE TABLE IF NOT EXISTS ${table}_u (k VARCHAR(10) PRIMARY KEY)`);
    await client.execute(`INSERT INTO ${table}_u VALUES ('x')`);
    const error = (await client.execute(`INSERT INTO ${table}_u VALUES ('x')`).catch((e: unknown) => e)) as DatabaseError;
    expect(error.body).toMatchObject({ code: "ALREADY_EXISTS" });
    expect(error.message).toMatch(/Duplicate entry 'x' for key 'PRIMARY'.*errno 1062/);
  });

  it("checks Basic credentials", async () => {
    const wrong = new Client({ url: probe.databaseUrl.replace(/:[^:@/]+@/, ":wrong@") });
    const error = (await wrong.execute("SELECT 1").catch((e: unknown) => e)) as DatabaseError;
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.status).toBe(401);
  });
});

describe("Upstash REST protocol server", () => {
  it("runs single commands, returning strings base64-encoded when asked", async () => {
    const key = `probe:${crypto.randomUUID()}`;
    expect(await redis().set(key, "héllo ☃", { ex: 60 })).toBe("OK");
    expect(await redis().get(key)).toBe("héllo ☃");
    const raw = await fetch(probe.redisRestUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${probe.redisRestToken}`, "upstash-encoding": "base64" },
      body: JSON.stringify(["GET", key]),
    });
    expect(await raw.json()).toEqual({ result: btoa(String.fromCharCode(...new TextEncoder().encode("héllo ☃"))) });
    const plain = await fetch(probe.redisRestUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${probe.redisRestToken}` },
      body: JSON.stringify(["TTL", key]),
    });
    expect(((await plain.json()) as { result: number }).result).toBeGreaterThan(50);
  });

  it("answers errors as HTTP 400 {error}", async () => {
    const res = await fetch(probe.redisRestUrl, {
      method: "POST",
      headers: { authorization: `Bearer ${probe.redisRestToken}` },
      body: JSON.stringify(["NOSUCHCOMMAND", "x"]),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^ERR unknown command/);
    const key = `probe:${crypto.randomUUID()}`;
    await redis().set(key, "text");
    await expect(redis().incr(key)).rejects.toThrow(/ERR value is not an integer/);
  });

  it("rejects a wrong token with 401", async () => {
    const res = await fetch(probe.redisRestUrl, { method: "POST", headers: { authorization: "Bearer nope" }, body: '["PING"]' });
    expect(res.status).toBe(401);
  });

  it("runs a pipeline, keeping per-command errors without failing the rest", async () => {
    const key = `probe:${crypto.randomUUID()}`;
    const res = await fetch(`${probe.redisRestUrl}/pipeline`, {
      method: "POST",
      headers: { authorization: `Bearer ${probe.redisRestToken}`, "upstash-encoding": "base64" },
      body: JSON.stringify([
        ["SET", key, "v"],
        ["INCR", key],
        ["GET", key],
        ["HSET", `${key}:h`, "f", 1],
        ["HGETALL", `${key}:h`],
      ]),
    });
    const replies = (await res.json()) as { result?: unknown; error?: string }[];
    expect(replies[0]).toEqual({ result: "OK" });
    expect(replies[1]?.error).toMatch(/not an integer/);
    expect(replies[2]).toEqual({ result: btoa("v") });
    expect(replies[3]).toEqual({ result: 1 });
    expect(replies[4]).toEqual({ result: [btoa("f"), btoa("1")] });
  });

  it("runs MULTI/EXEC atomically through /multi-exec and the client's transactions", async () => {
    const key = `probe:${crypto.randomUUID()}`;
    const tx = redis().multi();
    tx.incr(key);
    tx.incrby(key, 5);
    tx.expire(key, 60);
    expect(await tx.exec()).toEqual([1, 6, 1]);
    const aborted = await fetch(`${probe.redisRestUrl}/multi-exec`, {
      method: "POST",
      headers: { authorization: `Bearer ${probe.redisRestToken}` },
      body: JSON.stringify([
        ["INCR", key],
        ["SET", key],
      ]),
    });
    expect(aborted.status).toBe(400);
    expect(await redis().get(key)).toBe("6");
  });

  it("runs Lua scripts (EVAL) with keys and arguments", async () => {
    const key = `probe:${crypto.randomUUID()}`;
    const result = await redis().eval(
      "redis.call('SET', KEYS[1], ARGV[1]); return {KEYS[1], redis.call('GET', KEYS[1]), 7}",
      [key],
      ["x"],
    );
    expect(result).toEqual([key, "x", 7]);
  });

  it("rejects a body that is not a command", async () => {
    for (const body of ['{"cmd": "PING"}', "[]", "[[]]", "not json"]) {
      const res = await fetch(probe.redisRestUrl, {
        method: "POST",
        headers: { authorization: `Bearer ${probe.redisRestToken}` },
        body,
      });
      expect(res.status, body).toBe(400);
    }
  });
});

describe("round trips, counted by the protocol servers", () => {
  const app = createApp();
  const probeEnv = () => ({
    ...env,
    DATABASE_URL: probe.databaseUrl,
    UPSTASH_REDIS_REST_URL: probe.redisRestUrl,
    UPSTASH_REDIS_REST_TOKEN: probe.redisRestToken,
  });

  it("counts every request and resets on demand", async () => {
    await resetStats();
    await db().execute("SELECT 1");
    await db().execute("SELECT 2");
    await redis().ping();
    expect(await stats(probe.planetscaleUrl)).toEqual({ total: 2, byPath: { "/psdb.v1alpha1.Database/Execute": 2 } });
    expect((await stats(probe.redisRestUrl)).total).toBe(1);
  });

  it("a signup costs one MySQL round trip and one Redis read (the address's hold, while the password is hashed)", async () => {
    await resetStats();
    const res = await app.fetch(buildRequest("POST", "/auth/user/signup/", { json: signupBody() }), probeEnv());
    expect(res.status).toBe(201);
    expect((await stats(probe.planetscaleUrl)).total).toBe(1);
    expect((await stats(probe.redisRestUrl)).total).toBe(1);
  });

  it("a duplicate signup costs two (the failed insert, then one read naming the taken fields)", async () => {
    const body = signupBody();
    await app.fetch(buildRequest("POST", "/auth/user/signup/", { json: body }), probeEnv());
    await resetStats();
    const someoneElse = { ...body, password: "Someone-else-99", password2: "Someone-else-99" };
    const res = await app.fetch(buildRequest("POST", "/auth/user/signup/", { json: someoneElse }), probeEnv());
    expect(res.status).toBe(400);
    expect((await stats(probe.planetscaleUrl)).total).toBe(2);
    // The same signup retried (the same password) costs the same two, and gets its account.
    await resetStats();
    const retried = await app.fetch(buildRequest("POST", "/auth/user/signup/", { json: body }), probeEnv());
    expect(retried.status).toBe(201);
    expect((await stats(probe.planetscaleUrl)).total).toBe(2);
  });

  async function counts() {
    return { db: (await stats(probe.planetscaleUrl)).total, redis: (await stats(probe.redisRestUrl)).total };
  }

  async function loggedIn() {
    const body = signupBody();
    const created = await app.fetch(buildRequest("POST", "/auth/user/signup/", { json: body }), probeEnv());
    const id = ((await created.json()) as { data: { user_id: string } }).data.user_id;
    const login = await app.fetch(
      buildRequest("POST", "/auth/user/login/", { headers: basic(body.username, body.password) }),
      probeEnv(),
    );
    const tokens = ((await login.json()) as { data: { access: string; refresh: string } }).data;
    // Let the login's writes after the response (last login, its event) land before counting
    // anything else: read through the main server, which the probe counters do not see.
    const landed = await eventually(async () => {
      const events = await testDb().select().from(securityEvents).where(eq(securityEvents.userId, id));
      return Boolean((await userRowById(id))?.lastLoginAt) && events.length > 0;
    });
    if (!landed) throw new Error("the login's writes never landed");
    return { body, tokens };
  }

  /** The counts once work after the response (last-login and security-event writes) has landed. */
  async function settledCounts(expected: { db: number; redis: number }) {
    return (
      (await eventually(async () => {
        const now = await counts();
        return now.db >= expected.db && now.redis >= expected.redis ? now : undefined;
      })) ?? counts()
    );
  }

  it("a login costs one MySQL read alongside one Redis read (the guards), then one Redis script; two MySQL writes follow the response", async () => {
    const { body } = await loggedIn();
    await resetStats();
    const res = await app.fetch(
      buildRequest("POST", "/auth/user/login/", { headers: basic(body.username, body.password) }),
      probeEnv(),
    );
    expect(res.status).toBe(200);
    // The guards are read before the password is looked at (in parallel with MySQL); the outcome,
    // the budget and the session ride in one script.
    expect((await counts()).redis).toBe(2);
    // After the response: last-login time, and the login_succeeded security event.
    expect(await settledCounts({ db: 3, redis: 2 })).toEqual({ db: 3, redis: 2 });
  });

  it("a login with 2FA on costs what a login does; verify costs one Redis read, one MySQL write and one Redis script", async () => {
    const { body, tokens } = await loggedIn();
    const call = async (path: string, json: object, access?: string) =>
      (await (
        await app.fetch(
          buildRequest("POST", path, { json, headers: access ? { authorization: `Bearer ${access}` } : {} }),
          probeEnv(),
        )
      ).json()) as { data: Record<string, unknown> };
    const setup = await call("/auth/secure/2fa/setup/", { password: body.password }, tokens.access);
    const secret = String(setup.data.secret);
    // A code of the previous step: the verify below uses the current one (each step works once).
    await call("/auth/secure/2fa/confirm/", { code: generateTotp(secret, Date.now() - 30_000) }, tokens.access);

    await resetStats();
    const first = await call("/auth/user/login/", { username: body.username, password: body.password });
    expect(first.data.mfa_required).toBe(true);
    expect(await counts()).toEqual({ db: 1, redis: 2 });

    await resetStats();
    const second = await call("/auth/secure/2fa/verify/", {
      mfa_token: first.data.mfa_token,
      code: generateTotp(secret, Date.now()),
    });
    expect(second.data.access).toEqual(expect.any(String));
    expect((await counts()).redis).toBe(2);
    // The step's conditional UPDATE; after the response, last-login time and the security event.
    expect(await settledCounts({ db: 3, redis: 2 })).toEqual({ db: 3, redis: 2 });
  });

  it("a passkey sign-in: options cost one Redis write (plus one MySQL read with a username); verify one MySQL read and one Redis script", async () => {
    const { body, tokens } = await loggedIn();
    const send = async (path: string, json: object, access?: string) => {
      const headers: Record<string, string> = access ? { authorization: `Bearer ${access}` } : {};
      const res = await app.fetch(buildRequest("POST", path, { json, headers }), probeEnv());
      return ((await res.json()) as { data: Record<string, unknown> }).data;
    };
    const authenticator = await SoftAuthenticator.create();
    const creation = await send("/auth/passkeys/register/options/", {}, tokens.access);
    await send("/auth/passkeys/register/verify/", { response: await authenticator.register(creation as never) }, tokens.access);
    // Registration's own work after its response (the passkey_added event) settles first.
    await settledCounts({ db: 5, redis: 2 });
    await new Promise((resolve) => setTimeout(resolve, 300));

    await resetStats();
    const options = await send("/auth/passkeys/login/options/", {});
    expect(await counts()).toEqual({ db: 0, redis: 1 });
    await resetStats();
    await send("/auth/passkeys/login/options/", { username: body.username });
    expect(await counts()).toEqual({ db: 1, redis: 1 });

    await resetStats();
    const signedIn = await send("/auth/passkeys/login/verify/", { response: await authenticator.assert(options as never) });
    expect(signedIn.access).toEqual(expect.any(String));
    expect(await counts()).toEqual({ db: 1, redis: 1 });
    // After the response (3 more): the passkey's count and last use, the last-login time, the security event.
    expect(await settledCounts({ db: 4, redis: 1 })).toEqual({ db: 4, redis: 1 });
  });

  it("sign in with a provider: start one Redis write; callback one MySQL read (and one transaction for a new account) and one Redis read; exchange one MySQL read and one Redis script", async () => {
    const email = `${uniqueName("rt")}@example.com`;
    const run = async () => {
      const browser = new Browser((request) => app.fetch(request, probeEnv()));
      await resetStats();
      const providerUrl = await startFlow(browser, "dev");
      const started = await counts();
      const back = await signInAtDevProvider(browser, providerUrl, email, true);
      await resetStats();
      const code = String((await callback(browser, back)).searchParams.get("code"));
      const called = await counts();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await resetStats();
      const res = await app.fetch(
        buildRequest("POST", "/auth/oauth/exchange/", { json: { code, code_verifier: APP_VERIFIER } }),
        probeEnv(),
      );
      expect(res.status).toBe(200);
      return { started, called, exchanged: await counts() };
    };
    // A new account: the user and the identity in one transaction (BEGIN, two INSERTs, COMMIT).
    const first = await run();
    expect(first).toEqual({ started: { db: 0, redis: 1 }, called: { db: 5, redis: 1 }, exchanged: { db: 1, redis: 1 } });
    // Settle the first run's writes after the response, then a returning user: one read.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const again = await run();
    expect(again.called).toEqual({ db: 1, redis: 1 });
    expect(again.exchanged).toEqual({ db: 1, redis: 1 });
  });

  it("a failed login costs one MySQL read alongside one Redis read, then one Redis script, known account or not", async () => {
    const { body } = await loggedIn();
    await resetStats();
    const wrong = await app.fetch(
      buildRequest("POST", "/auth/user/login/", { headers: basic(body.username, "Wrong-pass-1") }),
      probeEnv(),
    );
    expect(wrong.status).toBe(401);
    expect((await counts()).redis).toBe(2);
    // A known account also gets its login_failed event, after the response.
    expect(await settledCounts({ db: 2, redis: 2 })).toEqual({ db: 2, redis: 2 });
    await resetStats();
    const unknown = await app.fetch(
      buildRequest("POST", "/auth/user/login/", { headers: basic(uniqueName(), "Wrong-pass-1") }),
      probeEnv(),
    );
    expect(unknown.status).toBe(401);
    expect(await counts()).toEqual({ db: 1, redis: 2 });
  });

  it("a locked login costs one MySQL read and one Redis read: it is refused before the password is looked at", async () => {
    const { body } = await loggedIn();
    for (let i = 0; i < 10; i++) {
      await app.fetch(buildRequest("POST", "/auth/user/login/", { headers: basic(body.username, "Wrong-pass-1") }), probeEnv());
    }
    // Their security events are written after the responses: let them land first.
    await eventually(async () => {
      const before = await counts();
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (await counts()).db === before.db;
    });
    await resetStats();
    const locked = await app.fetch(
      buildRequest("POST", "/auth/user/login/", { headers: basic(body.username, body.password) }),
      probeEnv(),
    );
    expect(locked.status).toBe(429);
    expect(await counts()).toEqual({ db: 1, redis: 1 });
  });

  it("the session list costs one Redis round trip (its script does the revocation check) and no MySQL", async () => {
    const { tokens } = await loggedIn();
    await resetStats();
    const res = await app.fetch(buildRequest("GET", "/auth/sessions/", { headers: bearer(tokens.access) }), probeEnv());
    expect(res.status).toBe(200);
    expect(await counts()).toEqual({ db: 0, redis: 1 });
  });

  it("check, get-access, get-refresh and logout each cost one Redis round trip and no MySQL", async () => {
    const { tokens } = await loggedIn();
    const cases: [string, RequestOptions][] = [
      ["/auth/jwt/check/", { headers: bearer(tokens.access) }],
      ["/auth/jwt/get-access/", { json: { refresh: tokens.refresh } }],
    ];
    for (const [path, options] of cases) {
      await resetStats();
      const res = await app.fetch(buildRequest("POST", path, options), probeEnv());
      expect(res.status, path).toBe(200);
      expect(await counts(), path).toEqual({ db: 0, redis: 1 });
    }
    await resetStats();
    const rotated = await app.fetch(
      buildRequest("POST", "/auth/jwt/get-refresh/", { json: { refresh: tokens.refresh } }),
      probeEnv(),
    );
    expect(rotated.status).toBe(200);
    expect(await counts()).toEqual({ db: 0, redis: 1 });
    const next = ((await rotated.json()) as { data: { access: string; refresh: string } }).data;
    await resetStats();
    const logout = await app.fetch(
      buildRequest("POST", "/auth/user/logout/", { headers: bearer(next.access), json: { refresh: next.refresh } }),
      probeEnv(),
    );
    expect(logout.status).toBe(200);
    expect(await counts()).toEqual({ db: 0, redis: 1 });
  });

  it("a profile read costs one MySQL query after the auth check's one Redis round trip", async () => {
    const { tokens } = await loggedIn();
    for (const [method, path] of [
      ["GET", "/profile/"],
      ["POST", "/profile/detail/"],
    ] as const) {
      await resetStats();
      const res = await app.fetch(buildRequest(method, path, { headers: bearer(tokens.access) }), probeEnv());
      expect(res.status).toBe(200);
      expect(await counts()).toEqual({ db: 1, redis: 1 });
    }
  });

  it("an OTP confirm costs one Redis script and one MySQL write (the auth check folded in), and an event write after", async () => {
    const { body, tokens } = await loggedIn();
    const sent = await app.fetch(buildRequest("POST", "/auth/verify/email/", { headers: bearer(tokens.access) }), probeEnv());
    expect(sent.status).toBe(200);
    const code = await latestCode(body.email);
    await resetStats();
    const res = await app.fetch(
      buildRequest("POST", "/auth/confirm/email/", { headers: bearer(tokens.access), json: { otp: code } }),
      probeEnv(),
    );
    expect(res.status).toBe(200);
    // The verified flag on the path; the email_verified security event after the response.
    expect(await settledCounts({ db: 2, redis: 1 })).toEqual({ db: 2, redis: 1 });
  });

  it("/health costs one MySQL and one Redis round trip", async () => {
    await resetStats();
    const res = await app.fetch(buildRequest("GET", "/health"), probeEnv());
    expect(res.status).toBe(200);
    expect((await stats(probe.planetscaleUrl)).total).toBe(1);
    expect((await stats(probe.redisRestUrl)).total).toBe(1);
  });
});
