// Security events: what each sensitive action records, for whom, and GET /auth/security-events/ that shows them to their owner.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app.ts";
import { securityEvents } from "../src/db/schema.ts";
import type { SecurityEventPage } from "../src/services/security-log.ts";
import {
  type ApiResponse,
  api,
  basic,
  bearer,
  buildRequest,
  eventually,
  expectFailure,
  latestCode,
  outbox,
  type RequestOptions,
  randomIp,
  readResponse,
  type Session,
  signupBody,
  testDb,
  userWithSession,
} from "./helpers.ts";

/** One event as the endpoint serves it. */
type EventView = SecurityEventPage["events"][number];

const USER_AGENT = "SecurityEventsTest/1.0 (+https://example.com/docs)";
const NEW_PASSWORD = "Second-passphrase-42";
/** The request as a given client: its CF-Connecting-IP and User-Agent. */
const from = (ip: string) => ({ "cf-connecting-ip": ip, "user-agent": USER_AGENT });
const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const listEvents = (access: string, query = "") => api("GET", `/auth/security-events/${query}`, { headers: bearer(access) });

/** Every event of the caller, newest first, read page by page. */
async function allEvents(access: string): Promise<EventView[]> {
  const events: EventView[] = [];
  let cursor: string | null = null;
  do {
    const res = await listEvents(access, `?limit=100${cursor ? `&before=${cursor}` : ""}`);
    if (res.status !== 200) throw new Error(`security events: ${res.text}`);
    events.push(...res.body.data.events);
    cursor = res.body.data.next;
  } while (cursor);
  return events;
}

/** Rows are written after the response: waits until the caller has at least `counts` of each event. */
async function eventsOnceRecorded(access: string, counts: Record<string, number>): Promise<EventView[]> {
  const events = await eventually(async () => {
    const all = await allEvents(access);
    const complete = Object.entries(counts).every(([name, n]) => all.filter((e) => e.event === name).length >= n);
    return complete ? all : undefined;
  });
  if (!events) throw new Error(`never recorded: ${JSON.stringify(counts)}; have ${JSON.stringify(await allEvents(access))}`);
  return events;
}

const rowsOf = (userId: string) => testDb().select().from(securityEvents).where(eq(securityEvents.userId, userId));
const rowsOfRequest = (requestId: string) =>
  testDb().select().from(securityEvents).where(eq(securityEvents.requestId, requestId));

/** The one `name` event: sent from `ip` with our User-Agent, stamped between `since` and now. */
function expectOneEvent(events: EventView[], name: string, ip: string, since: number): EventView {
  const matching = events.filter((e) => e.event === name);
  expect(matching, `${name} in ${JSON.stringify(events)}`).toHaveLength(1);
  const [event] = matching as [EventView];
  expect(event).toEqual({
    id: expect.stringMatching(/^[1-9]\d*$/),
    event: name,
    created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    ip,
    country: null,
    user_agent: USER_AGENT,
    actor: null,
  });
  const at = Date.parse(event.created_at);
  expect(at).toBeGreaterThanOrEqual(since - 1000);
  expect(at).toBeLessThanOrEqual(Date.now() + 1000);
  return event;
}

/** `text` holds none of the secrets, nor the head or tail of a long one (a token cut to fit a column). */
function expectNoSecret(text: string, secrets: string[]) {
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThanOrEqual(6);
    const pieces = secret.length > 32 ? [secret, secret.slice(0, 32), secret.slice(-32)] : [secret];
    for (const piece of pieces) expect(text, `holds ${piece}`).not.toContain(piece);
  }
}

/**
 * Sends requests through the app called directly (createApp), capturing console.log meanwhile:
 * the answers, and the security lines logged while they ran.
 */
async function securityLines(
  requests: [string, string, RequestOptions][],
): Promise<{ responses: ApiResponse[]; lines: string[] }> {
  const app = createApp();
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const responses: ApiResponse[] = [];
  let calls: unknown[][] = [];
  try {
    for (const [method, path, options] of requests)
      responses.push(await readResponse(app.fetch(buildRequest(method, path, options), env)));
  } finally {
    calls = [...log.mock.calls];
    log.mockRestore();
  }
  const lines = calls.map((args) => args.map(String).join(" ")).filter((line) => line.includes('"type":"security"'));
  return { responses, lines };
}

const login = (username: string, password: string, ip: string) =>
  api("POST", "/auth/user/login/", { headers: { ...from(ip), ...basic(username, password) } });

async function loginOk(username: string, password: string, ip: string): Promise<Session> {
  const res = await login(username, password, ip);
  if (res.status !== 200) throw new Error(`login failed: ${res.text}`);
  return res.body.data;
}

describe("what is recorded, and GET /auth/security-events/ shows it to the user", () => {
  it("login_succeeded: a login records the client's IP and User-Agent", async () => {
    const since = Date.now();
    const { user, session } = await userWithSession({}, from("203.0.113.7"));
    const events = await eventsOnceRecorded(session.access, { login_succeeded: 1 });
    expect(events).toHaveLength(1);
    const event = expectOneEvent(events, "login_succeeded", "203.0.113.7", since);
    const [row] = await rowsOf(user.id);
    expect(row).toMatchObject({ id: Number(event.id), userId: user.id, event: "login_succeeded", ip: "203.0.113.7" });
  });

  it("login_failed: a wrong password for a known account is recorded for that account, with the 401", async () => {
    const { user, session } = await userWithSession();
    const since = Date.now();
    expectFailure(await login(user.username, "Not-the-password-1", "203.0.113.8"), 401, "INVALID_CREDENTIALS");
    const events = await eventsOnceRecorded(session.access, { login_failed: 1 });
    expectOneEvent(events, "login_failed", "203.0.113.8", since);
  });

  it("login_failed: an attacker's over-long X-Request-Id cannot keep the event out of the history", async () => {
    const { user, session } = await userWithSession();
    const res = await api("POST", "/auth/user/login/", {
      headers: { ...basic(user.username, "Not-the-password-1"), "x-request-id": "a".repeat(200) },
    });
    expectFailure(res, 401, "INVALID_CREDENTIALS");
    // Too long to keep: the service gives the request an id of its own, which fits the column.
    expect(res.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    await eventsOnceRecorded(session.access, { login_failed: 1 });
  });

  it("account_locked: the wrong password that uses up the name's budget (the tenth) answers 429 and records it besides ten login_failed", async () => {
    const { user, session } = await userWithSession();
    const since = Date.now();
    for (let i = 1; i <= 9; i++) {
      expectFailure(await login(user.username, `Wrong-password-${i}`, randomIp()), 401, "INVALID_CREDENTIALS");
    }
    expectFailure(await login(user.username, "Wrong-password-10", "203.0.113.9"), 429, "RATE_LIMITED");
    const events = await eventsOnceRecorded(session.access, { login_failed: 10, account_locked: 1 });
    expectOneEvent(events, "account_locked", "203.0.113.9", since);
    const failures = events.filter((e) => e.event === "login_failed");
    expect(failures).toHaveLength(10);
    for (const failure of failures) expect(failure).toMatchObject({ user_agent: USER_AGENT });
  });

  it("password_changed: POST /auth/password/change/ records it", async () => {
    const { user, session } = await userWithSession();
    const since = Date.now();
    const res = await api("POST", "/auth/password/change/", {
      headers: { ...from("203.0.113.10"), ...bearer(session.access) },
      json: { old_password: user.password, password1: NEW_PASSWORD, password2: NEW_PASSWORD },
    });
    expect(res.status, res.text).toBe(200);
    // The old session is revoked: the fresh pair of the answer reads the events.
    const events = await eventsOnceRecorded(res.body.data.access, { password_changed: 1 });
    expectOneEvent(events, "password_changed", "203.0.113.10", since);
  });

  it("password_reset: resetting the password by emailed code records it", async () => {
    const { user } = await userWithSession();
    const since = Date.now();
    expect(
      (await api("POST", "/auth/password/forget/", { headers: from("203.0.113.11"), json: { email: user.email } })).status,
    ).toBe(200);
    const otp = await latestCode(user.email);
    const reset = await api("POST", "/auth/password/reset/", {
      headers: from("203.0.113.11"),
      json: { email: user.email, otp, password1: NEW_PASSWORD, password2: NEW_PASSWORD },
    });
    expect(reset.status, reset.text).toBe(200);
    // The reset revoked every session: a new login reads the events.
    const session = await loginOk(user.username, NEW_PASSWORD, "203.0.113.12");
    const events = await eventsOnceRecorded(session.access, { password_reset: 1, login_succeeded: 2 });
    expectOneEvent(events, "password_reset", "203.0.113.11", since);
  });

  it("email_verified: confirming the emailed code records it", async () => {
    const { user, session } = await userWithSession();
    const since = Date.now();
    const headers = { ...from("203.0.113.13"), ...bearer(session.access) };
    expect((await api("POST", "/auth/verify/email/", { headers })).status).toBe(200);
    const otp = await latestCode(user.email);
    const confirmed = await api("POST", "/auth/confirm/email/", { headers, json: { otp } });
    expect(confirmed.status, confirmed.text).toBe(200);
    const events = await eventsOnceRecorded(session.access, { email_verified: 1 });
    expectOneEvent(events, "email_verified", "203.0.113.13", since);
    expect(events.filter((e) => e.event === "phone_verified")).toEqual([]);
  });

  it("phone_verified: a +E.164 number given at signup is verified by SMS code, which records it", async () => {
    const phone = "+14155552671";
    const body = signupBody({ phone_number: phone });
    const created = await api("POST", "/auth/user/signup/", { json: body });
    expect(created.status, created.text).toBe(201);
    expect(created.body.data).toMatchObject({ phone_number: phone, country_alpha_code: "US", is_phone_number_verified: false });
    const session = await loginOk(body.username, body.password, "203.0.113.14");
    const since = Date.now();
    const headers = { ...from("203.0.113.14"), ...bearer(session.access) };
    const earlier = (await outbox(phone)).length;
    const sent = await api("POST", "/auth/verify/phone/", { headers });
    expect(sent.body?.data, sent.text).toBe("OTP sent to your phone");
    const otp = await latestCode(phone, earlier);
    const confirmed = await api("POST", "/auth/confirm/phone/", { headers, json: { otp } });
    expect(confirmed.status, confirmed.text).toBe(200);
    const events = await eventsOnceRecorded(session.access, { phone_verified: 1 });
    expectOneEvent(events, "phone_verified", "203.0.113.14", since);
    expect(events.filter((e) => e.event === "email_verified")).toEqual([]);
  });

  it("email_changed: confirming the code sent to the new address records it", async () => {
    const { user, session } = await userWithSession();
    const since = Date.now();
    const headers = { ...from("203.0.113.15"), ...bearer(session.access) };
    const newEmail = `changed.${user.email}`;
    const change = await api("POST", "/auth/user/email/change/", {
      headers,
      json: { new_email: newEmail, password: user.password },
    });
    expect(change.status, change.text).toBe(200);
    // Asking is not changing: nothing is recorded until the code is confirmed.
    const otp = await latestCode(newEmail);
    expect((await allEvents(session.access)).filter((e) => e.event === "email_changed")).toEqual([]);
    const confirmed = await api("POST", "/auth/user/email/confirm/", { headers, json: { otp } });
    expect(confirmed.status, confirmed.text).toBe(200);
    const events = await eventsOnceRecorded(session.access, { email_changed: 1 });
    expectOneEvent(events, "email_changed", "203.0.113.15", since);
  });

  it("sessions_revoked: POST /auth/user/logout-all/ records it", async () => {
    const { user, session } = await userWithSession();
    const since = Date.now();
    const res = await api("POST", "/auth/user/logout-all/", { headers: { ...from("203.0.113.16"), ...bearer(session.access) } });
    expect(res.status, res.text).toBe(200);
    const fresh = await loginOk(user.username, user.password, "203.0.113.17");
    const events = await eventsOnceRecorded(fresh.access, { sessions_revoked: 1, login_succeeded: 2 });
    expectOneEvent(events, "sessions_revoked", "203.0.113.16", since);
  });

  it("sessions_revoked: DELETE /auth/sessions/{id}/ records it too", async () => {
    const { user, session } = await userWithSession();
    await loginOk(user.username, user.password, "203.0.113.18");
    const headers = { ...from("203.0.113.18"), ...bearer(session.access) };
    const sessions = (await api("GET", "/auth/sessions/", { headers })).body.data.sessions as { id: string; current: boolean }[];
    const other = sessions.find((s) => !s.current);
    expect(other).toBeDefined();
    const since = Date.now();
    const res = await api("DELETE", `/auth/sessions/${other?.id}/`, { headers });
    expect(res.status, res.text).toBe(200);
    const events = await eventsOnceRecorded(session.access, { sessions_revoked: 1 });
    expectOneEvent(events, "sessions_revoked", "203.0.113.18", since);
  });
});

describe("GET /auth/security-events/: newest first, a page at a time", () => {
  it("pages with limit=2 following `next` until null: ids strictly decreasing, every event exactly once", async () => {
    const { user, session } = await userWithSession({}, from("198.51.100.1"));
    await eventsOnceRecorded(session.access, { login_succeeded: 1 });
    // Six more events, each from its own IP and each awaited, so their order is known.
    const ips = ["198.51.100.2", "198.51.100.3", "198.51.100.4", "198.51.100.5", "198.51.100.6", "198.51.100.7"];
    for (const [i, ip] of ips.entries()) {
      if (i % 2 === 0) await loginOk(user.username, user.password, ip);
      else expectFailure(await login(user.username, `Wrong-password-${i}`, ip), 401, "INVALID_CREDENTIALS");
      await eventsOnceRecorded(session.access, {
        login_succeeded: 1 + Math.ceil((i + 1) / 2),
        login_failed: Math.floor((i + 1) / 2),
      });
    }

    const pages: { events: EventView[]; next: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const res: ApiResponse = await listEvents(session.access, `?limit=2${cursor ? `&before=${cursor}` : ""}`);
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ success: true, message: "security events successful", error: null });
      pages.push(res.body.data);
      cursor = res.body.data.next;
    } while (cursor && pages.length < 10);

    expect(pages.map((p) => p.events.length)).toEqual([2, 2, 2, 1]);
    // `next` is the last id of its page; the last page says null.
    for (const page of pages.slice(0, -1)) expect(page.next).toBe(page.events.at(-1)?.id);
    expect(pages.at(-1)?.next).toBeNull();

    const events = pages.flatMap((p) => p.events);
    const ids = events.map((e) => Number(e.id));
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeLessThan(ids[i - 1] as number);
    // Newest first: the last action leads, the signup's login closes.
    expect(events.map((e) => e.ip)).toEqual(["198.51.100.1", ...ips].reverse());
    expect(events.map((e) => e.event)).toEqual([
      "login_failed",
      "login_succeeded",
      "login_failed",
      "login_succeeded",
      "login_failed",
      "login_succeeded",
      "login_succeeded",
    ]);
    // Every row of the user, no more.
    const rowIds = (await rowsOf(user.id)).map((r) => r.id).sort((a, b) => b - a);
    expect(ids).toEqual(rowIds);
    // Without a limit, one page (default 20) holds the same events in the same order.
    const whole = await listEvents(session.access);
    expect(whole.body.data).toEqual({ events, next: null });
  });

  it("accepts limit 1 and 100 and rejects 0, 101 and non-numbers with the VALIDATION_ERROR envelope", async () => {
    const { session } = await userWithSession();
    await eventsOnceRecorded(session.access, { login_succeeded: 1 });
    const one = await listEvents(session.access, "?limit=1");
    expect(one.status).toBe(200);
    expect(one.body.data.events).toHaveLength(1);
    expect(one.body.data.next).toBeNull();
    expect((await listEvents(session.access, "?limit=100")).status).toBe(200);
    for (const limit of ["0", "101", "x"]) {
      const details = expectFailure(await listEvents(session.access, `?limit=${limit}`), 400, "VALIDATION_ERROR");
      expect(Object.keys(details), limit).toEqual(["limit"]);
    }
  });

  it("rejects a `before` that is not a page cursor (abc, -1) with the VALIDATION_ERROR envelope", async () => {
    const { session } = await userWithSession();
    const events = await eventsOnceRecorded(session.access, { login_succeeded: 1 });
    const newest = Number(events[0]?.id);
    expect((await listEvents(session.access, `?before=${newest + 1}`)).body.data.events).toHaveLength(1);
    expect((await listEvents(session.access, `?before=${newest}`)).body.data).toEqual({ events: [], next: null });
    for (const before of ["abc", "-1"]) {
      const details = expectFailure(await listEvents(session.access, `?before=${before}`), 400, "VALIDATION_ERROR");
      expect(Object.keys(details), before).toEqual(["before"]);
    }
  });

  it("needs a Bearer token: 401 without one, and with one that is no longer valid", async () => {
    expectFailure(await api("GET", "/auth/security-events/"), 401, "NOT_AUTHENTICATED");
    expectFailure(await api("GET", "/auth/security-events/", { headers: bearer("not-a-token") }), 401, "INVALID_TOKEN");
    const { session } = await userWithSession();
    expect((await api("POST", "/auth/user/logout-all/", { headers: bearer(session.access) })).status).toBe(200);
    expectFailure(await listEvents(session.access), 401, "INVALID_TOKEN");
  });
});

describe("whose events", () => {
  it("shows each user only their own: B never sees A's events, whatever the cursor", async () => {
    const alice = await userWithSession({}, from("192.0.2.10"));
    expectFailure(await login(alice.user.username, "Wrong-password-1", "192.0.2.11"), 401, "INVALID_CREDENTIALS");
    const bob = await userWithSession({}, from("192.0.2.20"));
    const aliceEvents = await eventsOnceRecorded(alice.session.access, { login_succeeded: 1, login_failed: 1 });
    const bobEvents = await eventsOnceRecorded(bob.session.access, { login_succeeded: 1 });

    expect(aliceEvents.map((e) => e.ip).sort()).toEqual(["192.0.2.10", "192.0.2.11"]);
    expect(bobEvents.map((e) => e.ip)).toEqual(["192.0.2.20"]);
    const aliceIds = new Set(aliceEvents.map((e) => e.id));
    expect(bobEvents.filter((e) => aliceIds.has(e.id))).toEqual([]);
    // A cursor beyond Alice's ids still yields only Bob's.
    const newest = Math.max(...[...aliceEvents, ...bobEvents].map((e) => Number(e.id)));
    const paged = await listEvents(bob.session.access, `?limit=100&before=${newest + 1}`);
    expect(paged.body.data.events.map((e: EventView) => e.id)).toEqual(bobEvents.map((e) => e.id));
    // The database agrees: Alice's rows carry her id, and they are exactly what she is shown.
    const aliceRows = await rowsOf(alice.user.id);
    expect(aliceRows.map((r) => String(r.id)).sort()).toEqual([...aliceIds].sort());
  });
});

describe("nothing secret in them", () => {
  it("no row, as served or as stored, holds a password, a code or a token", async () => {
    const { user, session } = await userWithSession({}, from("192.0.2.30"));
    // What crossed the wire: passwords (also as the Basic credentials), codes and tokens.
    const credentials = (name: string, password: string) => basic(name, password).authorization.slice("Basic ".length);
    const secrets: string[] = [user.password, credentials(user.username, user.password), session.access, session.refresh];
    const wrong = "Typed-wrong-secret-77";
    secrets.push(wrong, credentials(user.username, wrong));
    expectFailure(await login(user.username, wrong, "192.0.2.31"), 401, "INVALID_CREDENTIALS");

    const headers = { ...from("192.0.2.32"), ...bearer(session.access) };
    expect((await api("POST", "/auth/verify/email/", { headers })).status).toBe(200);
    const verifyCode = await latestCode(user.email);
    secrets.push(verifyCode);
    expect((await api("POST", "/auth/confirm/email/", { headers, json: { otp: verifyCode } })).status).toBe(200);

    const changed = await api("POST", "/auth/password/change/", {
      headers,
      json: { old_password: user.password, password1: NEW_PASSWORD, password2: NEW_PASSWORD },
    });
    expect(changed.status, changed.text).toBe(200);
    secrets.push(NEW_PASSWORD, changed.body.data.access, changed.body.data.refresh);

    const mails = (await outbox(user.email)).length;
    expect(
      (await api("POST", "/auth/password/forget/", { headers: from("192.0.2.33"), json: { email: user.email } })).status,
    ).toBe(200);
    const resetCode = await latestCode(user.email, mails);
    secrets.push(resetCode);
    const confirmed = await api("POST", "/auth/password/forget/confirm/", {
      headers: from("192.0.2.33"),
      json: { email: user.email, otp: resetCode },
    });
    expect(confirmed.status, confirmed.text).toBe(200);
    const resetToken = confirmed.body.data.reset_token as string;
    const resetPassword = "Third-passphrase-99";
    secrets.push(resetToken, resetPassword);
    const reset = await api("POST", "/auth/password/reset/", {
      headers: from("192.0.2.33"),
      json: { email: user.email, reset_token: resetToken, password1: resetPassword, password2: resetPassword },
    });
    expect(reset.status, reset.text).toBe(200);

    const fresh = await loginOk(user.username, resetPassword, "192.0.2.34");
    secrets.push(fresh.access, fresh.refresh, credentials(user.username, resetPassword));
    const served = await eventsOnceRecorded(fresh.access, {
      login_succeeded: 2,
      login_failed: 1,
      email_verified: 1,
      password_changed: 1,
      password_reset: 1,
    });
    const stored = await rowsOf(user.id);
    expect(stored).toHaveLength(served.length);
    const servedJson = JSON.stringify(served);
    const storedJson = JSON.stringify(stored);
    expectNoSecret(servedJson, secrets);
    expectNoSecret(storedJson, secrets);
    // The stored columns are the listed ones and nothing else.
    expect(Object.keys(stored[0] ?? {}).sort()).toEqual([
      "actor",
      "country",
      "createdAt",
      "event",
      "id",
      "ip",
      "requestId",
      "target",
      "userAgent",
      "userId",
    ]);
  });

  it("logs each event as one JSON line with the listed fields, never the password or the name typed at login", async () => {
    const { user } = await userWithSession();
    const typedName = `nobody_${user.username}`;
    const typedPassword = "Typed-at-login-secret-5";
    const { responses, lines } = await securityLines([
      ["POST", "/auth/user/login/", { headers: { ...from("192.0.2.40"), ...basic(typedName, typedPassword) } }],
      ["POST", "/auth/user/login/", { headers: { ...from("192.0.2.41"), ...basic(user.username, user.password) } }],
    ]);
    const [failed, succeeded] = responses as [ApiResponse, ApiResponse];
    expectFailure(failed, 401, "INVALID_CREDENTIALS");
    expect(succeeded.status).toBe(200);

    expect(lines).toHaveLength(2);
    const typed = [
      typedName,
      typedPassword,
      user.username,
      user.password,
      succeeded.body.data.access,
      succeeded.body.data.refresh,
    ];
    const encoded = [basic(typedName, typedPassword), basic(user.username, user.password)].map((h) => h.authorization.slice(6));
    for (const line of lines) expectNoSecret(line, [...typed, ...encoded]);
    const [failure, success] = lines.map((line) => JSON.parse(line));
    const fields = ["at", "country", "event", "ip", "level", "request_id", "type", "user_agent", "user_id"];
    expect(Object.keys(failure).sort()).toEqual(fields);
    expect(failure).toEqual({
      level: "info",
      type: "security",
      event: "login_failed",
      request_id: failed.headers.get("x-request-id"),
      user_id: null,
      ip: "192.0.2.40",
      country: "",
      user_agent: USER_AGENT,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(failure.request_id).toMatch(/\S/);
    expect(Object.keys(success).sort()).toEqual(fields);
    expect(success).toMatchObject({
      event: "login_succeeded",
      request_id: succeeded.headers.get("x-request-id"),
      user_id: user.id,
      ip: "192.0.2.41",
      user_agent: USER_AGENT,
    });
  });
});

describe("a failed login for an unknown account", () => {
  it("is only logged (user_id null): no row is written", async () => {
    const { user, session } = await userWithSession();
    const unknownIp = "192.0.2.50";
    const { responses, lines } = await securityLines([
      ["POST", "/auth/user/login/", { headers: { ...from(unknownIp), ...basic(`nobody_${user.username}`, "Whatever-1") } }],
    ]);
    const [unknown] = responses as [ApiResponse];
    expectFailure(unknown, 401, "INVALID_CREDENTIALS");
    const requestId = unknown.headers.get("x-request-id") ?? "";
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ event: "login_failed", request_id: requestId, user_id: null, ip: unknownIp }),
    ]);

    // A known account's failure, sent after it, is written: once it has landed, the unknown one had its chance.
    const known = await login(user.username, "Wrong-password-1", "192.0.2.51");
    expectFailure(known, 401, "INVALID_CREDENTIALS");
    expect(await eventually(async () => (await rowsOfRequest(known.headers.get("x-request-id") ?? "")).length === 1)).toBe(true);
    await after(100);
    expect(await rowsOfRequest(requestId)).toEqual([]);
    expect(await testDb().select().from(securityEvents).where(eq(securityEvents.ip, unknownIp))).toEqual([]);
    expect((await allEvents(session.access)).map((e) => e.ip)).not.toContain(unknownIp);
  });
});

describe("DELETE /auth/user/delete/", () => {
  const remove = (access: string, password: string, ip: string) =>
    api("DELETE", "/auth/user/delete/", { headers: { ...from(ip), ...bearer(access) }, json: { password } });

  it("removes the user's security events; the deletion itself is only logged", async () => {
    const { user, session } = await userWithSession({}, from("192.0.2.60"));
    expectFailure(await login(user.username, "Wrong-password-1", "192.0.2.61"), 401, "INVALID_CREDENTIALS");
    const other = await userWithSession({}, from("192.0.2.62"));
    await eventsOnceRecorded(session.access, { login_succeeded: 1, login_failed: 1 });
    await eventsOnceRecorded(other.session.access, { login_succeeded: 1 });
    expect(await rowsOf(user.id)).toHaveLength(2);

    const { responses, lines } = await securityLines([
      [
        "DELETE",
        "/auth/user/delete/",
        { headers: { ...from("192.0.2.63"), ...bearer(session.access) }, json: { password: user.password } },
      ],
    ]);
    const [deleted] = responses as [ApiResponse];
    expect(deleted.status, deleted.text).toBe(200);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ event: "account_deleted", user_id: user.id, ip: "192.0.2.63" }),
    ]);

    await after(200);
    expect(await rowsOf(user.id)).toEqual([]);
    // (Only an operator's deletion leaves an audit record: docs/operators.md.)
    const deletions = await testDb().select().from(securityEvents).where(eq(securityEvents.event, "account_deleted"));
    expect(deletions.filter((row) => row.userId === user.id)).toEqual([]);
    // Someone else's events stay.
    expect(await rowsOf(other.user.id)).toHaveLength(1);
  });

  it("leaves no row behind for an event recorded while the account is being deleted", async () => {
    const { user, session } = await userWithSession({}, from("192.0.2.70"));
    await eventsOnceRecorded(session.access, { login_succeeded: 1 });
    const [failed, deleted] = await Promise.all([
      login(user.username, "Wrong-password-1", "192.0.2.71"),
      remove(session.access, user.password, "192.0.2.72"),
    ]);
    expectFailure(failed, 401, "INVALID_CREDENTIALS");
    expect(deleted.status, deleted.text).toBe(200);
    await after(300);
    expect(await rowsOf(user.id)).toEqual([]);
  });
});
