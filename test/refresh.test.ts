// Refresh tokens: single use, rotated on every use, reuse detection per family, grace window.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { api, bearer, buildRequest, decodeJwt, expectFailure, readResponse, userWithSession } from "./helpers.ts";

const getAccess = (refresh: unknown) => api("POST", "/auth/jwt/get-access/", { json: { refresh } });
const getRefresh = (refresh: unknown) => api("POST", "/auth/jwt/get-refresh/", { json: { refresh } });

/** The app with its clock moved by `offsetSeconds`: to step past the grace window or a lifetime. */
function later(offsetSeconds: number) {
  const app = createApp({ clock: { now: () => new Date(Date.now() + offsetSeconds * 1000) } });
  return (path: string, refresh: string) => readResponse(app.fetch(buildRequest("POST", path, { json: { refresh } }), env));
}

describe("POST /auth/jwt/get-access/", () => {
  it("returns a new access token and leaves the refresh token usable (no rotation)", async () => {
    const { user, session } = await userWithSession();
    const first = await getAccess(session.refresh);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ message: "jwt access successful", data: { token_type: "Bearer", expires_in: 900 } });
    expect(first.body.data.refresh).toBeUndefined();
    expect(decodeJwt(first.body.data.access).payload).toMatchObject({ sub: user.id, username: user.username });
    expect((await api("POST", "/auth/jwt/check/", { headers: bearer(first.body.data.access) })).status).toBe(200);
    expect((await getAccess(session.refresh)).status).toBe(200);
  });

  it("answers VALIDATION_ERROR without a refresh field and INVALID_REFRESH_TOKEN for garbage", async () => {
    expectFailure(await api("POST", "/auth/jwt/get-access/", { json: {} }), 400, "VALIDATION_ERROR");
    expectFailure(await api("POST", "/auth/jwt/get-access/", { json: { refresh: 42 } }), 400, "VALIDATION_ERROR");
    for (const refresh of ["garbage", "a.b.c", "x".repeat(5000)])
      expectFailure(await getAccess(refresh), 400, "INVALID_REFRESH_TOKEN");
  });

  it("refuses a refresh token past its family's absolute lifetime (clock injected)", async () => {
    const { session } = await userWithSession();
    expectFailure(await later(86_400 + 60)("/auth/jwt/get-access/", session.refresh), 400, "INVALID_REFRESH_TOKEN");
  });
});

describe("POST /auth/jwt/get-refresh/", () => {
  it("rotates: returns a new pair, and the old refresh token is spent", async () => {
    const { session } = await userWithSession();
    const rotated = await getRefresh(session.refresh);
    expect(rotated.status).toBe(200);
    expect(rotated.body.message).toBe("jwt refresh successful");
    const next = rotated.body.data;
    expect(next.refresh).not.toBe(session.refresh);
    expect(decodeJwt(next.refresh).payload.sid).toBe(decodeJwt(session.refresh).payload.sid);
    expect(decodeJwt(next.refresh).payload.exp).toBe(decodeJwt(session.refresh).payload.exp);
    expect((await api("POST", "/auth/jwt/check/", { headers: bearer(next.access) })).status).toBe(200);
    // The successor rotates in turn.
    expect((await getRefresh(next.refresh)).status).toBe(200);
  });

  it("revokes the whole family when a rotated token comes back after the grace window", async () => {
    const { session } = await userWithSession();
    const next = (await getRefresh(session.refresh)).body.data;
    const replay = await later(11)("/auth/jwt/get-refresh/", session.refresh);
    expectFailure(replay, 400, "INVALID_REFRESH_TOKEN");
    // The legitimate successor died with the family.
    expectFailure(await getRefresh(next.refresh), 400, "INVALID_REFRESH_TOKEN");
    expectFailure(await getAccess(next.refresh), 400, "INVALID_REFRESH_TOKEN");
  });

  it("treats a rotated token at get-access after the grace window as reuse too", async () => {
    const { session } = await userWithSession();
    const next = (await getRefresh(session.refresh)).body.data;
    expectFailure(await later(11)("/auth/jwt/get-access/", session.refresh), 400, "INVALID_REFRESH_TOKEN");
    expectFailure(await getAccess(next.refresh), 400, "INVALID_REFRESH_TOKEN");
  });

  it("hands the same successor to a repeat within the grace window, and the family stays valid", async () => {
    const { session } = await userWithSession();
    const first = (await getRefresh(session.refresh)).body.data;
    const repeat = await later(5)("/auth/jwt/get-refresh/", session.refresh);
    expect(repeat.status).toBe(200);
    expect(repeat.body.data.refresh).toBe(first.refresh);
    expect((await getRefresh(first.refresh)).status).toBe(200);
  });

  it("gives 20 parallel refreshes of one token at most one distinct successor, and keeps the family", async () => {
    const { session } = await userWithSession();
    const results = await Promise.all(Array.from({ length: 20 }, () => getRefresh(session.refresh)));
    expect(results.every((res) => res.status === 200)).toBe(true);
    const successors = new Set(results.map((res) => res.body.data.refresh));
    expect(successors.size).toBe(1);
    const [successor] = [...successors];
    expect((await getRefresh(successor)).status).toBe(200);
  });

  it("refuses a tampered refresh token", async () => {
    const { session } = await userWithSession();
    const [header, payload, signature] = session.refresh.split(".");
    const tampered = `${header}.${payload}.${String(signature).slice(0, -3)}AAA`;
    expectFailure(await getRefresh(tampered), 400, "INVALID_REFRESH_TOKEN");
    expect((await getRefresh(session.refresh)).status).toBe(200);
  });
});
