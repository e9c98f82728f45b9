import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../src/app.ts";
import {
  api,
  bearer,
  buildRequest,
  decodeJwt,
  eventually,
  expectFailure,
  expectSessionDead,
  loginStatus,
  readResponse,
  signupBody,
  stableRow,
  testRedis,
  userRowById,
  userWithSession,
} from "./helpers.ts";

const remove = (access: string, json: unknown) => api("DELETE", "/auth/user/delete/", { headers: bearer(access), json });
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);

describe("DELETE /auth/user/delete/", () => {
  it("requires the password and changes nothing when it is wrong or missing", async () => {
    const { user, session } = await userWithSession();
    const before = await stableRow(user.id);
    expect(expectFailure(await remove(session.access, { password: "Wrong-password-1" }), 400, "VALIDATION_ERROR")).toEqual({
      password: ["Incorrect password."],
    });
    expectFailure(await remove(session.access, {}), 400, "VALIDATION_ERROR");
    expectFailure(await api("DELETE", "/auth/user/delete/", { headers: bearer(session.access) }), 400, "VALIDATION_ERROR");
    expect(await stableRow(user.id)).toEqual(before);
    expect((await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) })).status).toBe(200);
  });

  it("removes the user, its sessions and its image; tokens and login die; the names are free again", async () => {
    const { user, session } = await userWithSession();
    const form = new FormData();
    form.append("profile_image", new File([PNG], "me.png", { type: "image/png" }));
    expect((await api("POST", "/profile/upload_profile_image/", { headers: bearer(session.access), body: form })).status).toBe(
      200,
    );
    const sid = decodeJwt(session.refresh).payload.sid;

    const res = await remove(session.access, { password: user.password });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: "delete successful", data: null, error: null });

    expect(await userRowById(user.id)).toBeUndefined();
    await expectSessionDead(session);
    expect(await loginStatus(user.username, user.password)).toBe(401);
    // Redis state gone: the session family and the user's session index.
    expect(await testRedis().exists(`session:${sid}`, `user:${user.id}:sessions`)).toBe(0);
    expect(await eventually(async () => (await env.PROFILE_IMAGES?.head(`profile-images/${user.id}`)) === null)).toBe(true);

    const again = await api("POST", "/auth/user/signup/", { json: signupBody({ username: user.username, email: user.email }) });
    expect(again.status).toBe(201);
    expect(again.body.data.user_id).not.toBe(user.id);
  });

  it("lets one of two concurrent deletes win: one 200, the other 401, no 5xx, no row left", async () => {
    const { user, session } = await userWithSession();
    const results = await Promise.all([
      remove(session.access, { password: user.password }),
      remove(session.access, { password: user.password }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect([401, 404]).toContain(statuses[1]);
    expect(await userRowById(user.id)).toBeUndefined();
  });

  it("never answers 500 when an update races the deletion", async () => {
    const { user, session } = await userWithSession();
    const results = await Promise.all([
      remove(session.access, { password: user.password }),
      ...Array.from({ length: 5 }, (_, i) =>
        api("PUT", "/auth/user/update/", { headers: bearer(session.access), json: { first_name: `N${i}` } }),
      ),
      api("PUT", "/profile/update/", { headers: bearer(session.access), json: { city: "Pune" } }),
      api("GET", "/profile/", { headers: bearer(session.access) }),
    ]);
    expect(results[0]?.status).toBe(200);
    for (const res of results) expect(res.status, res.text).toBeLessThan(500);
    expect(await userRowById(user.id)).toBeUndefined();
  });
});

describe("DELETE /auth/user/delete/ when a dependency fails part-way", () => {
  const faults = inject("faults");
  /** The app with one store's URL pointed at a proxy that fails one step of the deletion. */
  function through(fault: string, which: "db" | "redis") {
    const target =
      which === "db"
        ? { ...env, DATABASE_URL: Object.assign(new URL(String(env.DATABASE_URL)), { host: new URL(fault).host }).toString() }
        : { ...env, UPSTASH_REDIS_REST_URL: fault };
    const app = createApp();
    return (access: string, password: string) =>
      readResponse(
        app.fetch(buildRequest("DELETE", "/auth/user/delete/", { headers: bearer(access), json: { password } }), target),
      );
  }

  it("MySQL failing at the DELETE: 503, and the account stays whole (signed out, able to log in again)", async () => {
    const { user, session } = await userWithSession();
    const res = await through(faults.dbDelete, "db")(session.access, user.password);
    expectFailure(res, 503, "SERVICE_UNAVAILABLE");
    expect(res.headers.get("retry-after")).toBe("5");
    expect((await userRowById(user.id))?.id).toBe(user.id);
    // Step 1 (revocation) had run: signed out everywhere, but nothing is lost.
    await expectSessionDead(session);
    expect(await loginStatus(user.username, user.password)).toBe(200);
  });

  it("Redis failing at the revocation (step 1): 503 and nothing changed, the session still valid", async () => {
    const { user, session } = await userWithSession();
    expectFailure(await through(faults.redisRevoke, "redis")(session.access, user.password), 503, "SERVICE_UNAVAILABLE");
    expect((await userRowById(user.id))?.id).toBe(user.id);
    expect((await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) })).status).toBe(200);
  });

  it("Redis failing at the tombstone (step 3): the account is gone all the same (200), every token dead", async () => {
    const { user, session } = await userWithSession();
    expect((await through(faults.redisTombstone, "redis")(session.access, user.password)).status).toBe(200);
    expect(await userRowById(user.id)).toBeUndefined();
    await expectSessionDead(session);
  });

  it("leaves a tombstone: no token of the deleted user id is ever valid again", async () => {
    const { user, session } = await userWithSession();
    expect((await remove(session.access, { password: user.password })).status).toBe(200);
    expect(await testRedis().get(`user:${user.id}:tokens-valid-after`)).toBe(String(Number.MAX_SAFE_INTEGER));
  });
});
