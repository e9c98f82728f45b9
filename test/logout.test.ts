// Logout, logout everywhere, and listing/revoking sessions.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { api, basic, bearer, buildRequest, expectFailure, readResponse, userWithSession } from "./helpers.ts";

const check = (access: string) => api("POST", "/auth/jwt/check/", { headers: bearer(access) });
const getAccess = (refresh: string) => api("POST", "/auth/jwt/get-access/", { json: { refresh } });

describe("POST /auth/user/logout/", () => {
  it("kills the session's refresh family and the presented access token", async () => {
    const { session } = await userWithSession();
    const res = await api("POST", "/auth/user/logout/", { headers: bearer(session.access), json: { refresh: session.refresh } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: "logout successful", data: null, error: null });
    expectFailure(await check(session.access), 401, "INVALID_TOKEN");
    expectFailure(await getAccess(session.refresh), 400, "INVALID_REFRESH_TOKEN");
    expectFailure(
      await api("POST", "/auth/jwt/get-refresh/", { json: { refresh: session.refresh } }),
      400,
      "INVALID_REFRESH_TOKEN",
    );
  });

  it("leaves the user's other sessions alive", async () => {
    const { user, session } = await userWithSession();
    const other = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data;
    await api("POST", "/auth/user/logout/", { headers: bearer(session.access), json: { refresh: session.refresh } });
    expect((await check(other.access)).status).toBe(200);
    expect((await getAccess(other.refresh)).status).toBe(200);
  });

  it("refuses someone else's refresh token, and theirs survives", async () => {
    const alice = await userWithSession();
    const bob = await userWithSession();
    const res = await api("POST", "/auth/user/logout/", {
      headers: bearer(alice.session.access),
      json: { refresh: bob.session.refresh },
    });
    expectFailure(res, 400, "INVALID_REFRESH_TOKEN");
    expect((await getAccess(bob.session.refresh)).status).toBe(200);
    expect((await check(alice.session.access)).status).toBe(200);
  });

  it("needs a Bearer token and a refresh token", async () => {
    const { session } = await userWithSession();
    expectFailure(await api("POST", "/auth/user/logout/", { json: { refresh: session.refresh } }), 401, "NOT_AUTHENTICATED");
    expectFailure(
      await api("POST", "/auth/user/logout/", { headers: bearer(session.access), json: {} }),
      400,
      "VALIDATION_ERROR",
    );
    expectFailure(
      await api("POST", "/auth/user/logout/", { headers: bearer(session.access), json: { refresh: "nope" } }),
      400,
      "INVALID_REFRESH_TOKEN",
    );
  });

  it("refuses an access token that is already logged out", async () => {
    const { user, session } = await userWithSession();
    const other = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data;
    await api("POST", "/auth/user/logout/", { headers: bearer(session.access), json: { refresh: session.refresh } });
    const again = await api("POST", "/auth/user/logout/", { headers: bearer(session.access), json: { refresh: other.refresh } });
    expectFailure(again, 401, "INVALID_TOKEN");
    expect((await getAccess(other.refresh)).status).toBe(200);
  });
});

describe("POST /auth/user/logout-all/", () => {
  it("kills every family and every access token issued until now; a later login works", async () => {
    const { user, session } = await userWithSession();
    const second = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data;
    const res = await api("POST", "/auth/user/logout-all/", { headers: bearer(second.access) });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: "logout all successful", data: null, error: null });
    for (const tokens of [session, second]) {
      expectFailure(await check(tokens.access), 401, "INVALID_TOKEN");
      expectFailure(await getAccess(tokens.refresh), 400, "INVALID_REFRESH_TOKEN");
    }
    const fresh = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data;
    expect((await check(fresh.access)).status).toBe(200);
    expect((await getAccess(fresh.refresh)).status).toBe(200);
  });
});

describe("GET /auth/sessions/ and DELETE /auth/sessions/{id}/", () => {
  it("lists the user's live sessions, marking the current one", async () => {
    const { user, session } = await userWithSession({}, { "user-agent": "phone-app/1.0" });
    const laptop = (
      await api("POST", "/auth/user/login/", {
        headers: { ...basic(user.username, user.password), "user-agent": "laptop-browser/2.0" },
      })
    ).body.data;
    const res = await api("GET", "/auth/sessions/", { headers: bearer(laptop.access) });
    expect(res.status).toBe(200);
    const sessions = res.body.data.sessions as {
      id: string;
      user_agent: string;
      current: boolean;
      created_at: string;
      last_used_at: string;
    }[];
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s) => s.current)?.user_agent).toBe("laptop-browser/2.0");
    expect(sessions.find((s) => !s.current)?.user_agent).toBe("phone-app/1.0");
    for (const s of sessions) {
      expect(Date.parse(s.created_at)).toBeGreaterThan(Date.now() - 60_000);
      expect(Date.parse(s.last_used_at)).toBeGreaterThanOrEqual(Date.parse(s.created_at));
    }
    expect((await check(session.access)).status).toBe(200);
  });

  it("revokes one of the caller's sessions by id", async () => {
    const { user, session } = await userWithSession();
    const other = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data;
    const list = (await api("GET", "/auth/sessions", { headers: bearer(session.access) })).body.data.sessions;
    const target = list.find((s: { current: boolean }) => !s.current);
    const res = await api("DELETE", `/auth/sessions/${target.id}/`, { headers: bearer(session.access) });
    expect(res.status).toBe(200);
    expectFailure(await getAccess(other.refresh), 400, "INVALID_REFRESH_TOKEN");
    expect((await getAccess(session.refresh)).status).toBe(200);
    const after = (await api("GET", "/auth/sessions/", { headers: bearer(session.access) })).body.data.sessions;
    expect(after.map((s: { id: string }) => s.id)).toEqual([list.find((s: { current: boolean }) => s.current).id]);
  });

  it("answers 404 for another user's session or an unknown id, and revokes nothing", async () => {
    const alice = await userWithSession();
    const bob = await userWithSession();
    const bobSession = (await api("GET", "/auth/sessions/", { headers: bearer(bob.session.access) })).body.data.sessions[0];
    expectFailure(
      await api("DELETE", `/auth/sessions/${bobSession.id}`, { headers: bearer(alice.session.access) }),
      404,
      "NOT_FOUND",
    );
    expectFailure(
      await api("DELETE", "/auth/sessions/no-such-session", { headers: bearer(alice.session.access) }),
      404,
      "NOT_FOUND",
    );
    expect((await getAccess(bob.session.refresh)).status).toBe(200);
  });

  it("needs authentication", async () => {
    expectFailure(await api("GET", "/auth/sessions/"), 401, "NOT_AUTHENTICATED");
    expectFailure(await api("DELETE", "/auth/sessions/x"), 401, "NOT_AUTHENTICATED");
  });
});

describe("when Redis is down", () => {
  it("fails closed with 503 on token checks, refresh and logout", async () => {
    const { session } = await userWithSession();
    const app = createApp();
    const down = { ...env, UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9" };
    const send = (path: string, options: Parameters<typeof buildRequest>[2]) =>
      readResponse(app.fetch(buildRequest("POST", path, options), down));
    const details = expectFailure(
      await send("/auth/jwt/check/", { headers: bearer(session.access) }),
      503,
      "SERVICE_UNAVAILABLE",
    );
    expect(details).toEqual({ redis: ["unreachable"] });
    expectFailure(await send("/auth/jwt/get-refresh/", { json: { refresh: session.refresh } }), 503, "SERVICE_UNAVAILABLE");
    expectFailure(await send("/auth/jwt/get-access/", { json: { refresh: session.refresh } }), 503, "SERVICE_UNAVAILABLE");
    expectFailure(
      await send("/auth/user/logout/", { headers: bearer(session.access), json: { refresh: session.refresh } }),
      503,
      "SERVICE_UNAVAILABLE",
    );
    // Nothing was spent while Redis was away.
    expect((await api("POST", "/auth/jwt/get-refresh/", { json: { refresh: session.refresh } })).status).toBe(200);
  });
});

describe("routes that fold the revocation check into their own script (codes, the session list)", () => {
  const CONFIRM_ROUTES = ["/auth/confirm/email/", "/auth/confirm/phone/", "/auth/user/email/confirm/"];

  it("refuse a logged-out access token with 401 INVALID_TOKEN (not a code answer)", async () => {
    const { session } = await userWithSession();
    const out = await api("POST", "/auth/user/logout/", { headers: bearer(session.access), json: { refresh: session.refresh } });
    expect(out.status).toBe(200);
    for (const path of CONFIRM_ROUTES) {
      expectFailure(await api("POST", path, { headers: bearer(session.access), json: { otp: "000000" } }), 401, "INVALID_TOKEN");
    }
    expectFailure(await api("GET", "/auth/sessions/", { headers: bearer(session.access) }), 401, "INVALID_TOKEN");
  });

  it("refuse an access token issued before logout-all with 401 INVALID_TOKEN", async () => {
    const { user } = await userWithSession();
    const other = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data;
    const everywhere = await api("POST", "/auth/user/logout-all/", { headers: bearer(other.access) });
    expect(everywhere.status).toBe(200);
    for (const path of CONFIRM_ROUTES) {
      expectFailure(await api("POST", path, { headers: bearer(other.access), json: { otp: "000000" } }), 401, "INVALID_TOKEN");
    }
    expectFailure(await api("GET", "/auth/sessions/", { headers: bearer(other.access) }), 401, "INVALID_TOKEN");
  });
});
