import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../src/db/schema.ts";
import { hashPassword, parsePasswordHash } from "../src/lib/password-hash.ts";
import { api, basic, decodeJwt, expectFailure, signupBody, testDb, userRowById } from "./helpers.ts";

async function newUser(overrides: Record<string, unknown> = {}) {
  const body = signupBody(overrides);
  const res = await api("POST", "/auth/user/signup/", { json: body });
  expect(res.status).toBe(201);
  return { ...body, id: res.body.data.user_id as string };
}

describe("POST /auth/user/login/", () => {
  it("logs in with HTTP Basic and returns an access and a refresh token", async () => {
    const user = await newUser();
    const res = await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, message: "login successful", error: null });
    expect(res.body.data).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    const access = decodeJwt(res.body.data.access);
    expect(access.header).toMatchObject({ alg: "EdDSA", typ: "at+jwt" });
    expect(access.header.kid).toBe(JSON.parse(String(env.JWT_PRIVATE_KEY)).kid);
    expect(access.payload).toMatchObject({
      iss: "loginsystem-edge",
      aud: "loginsystem-edge",
      sub: user.id,
      user_id: user.id,
      username: user.username,
      email: user.email,
      token_type: "access",
    });
    expect(access.payload.exp - access.payload.iat).toBe(900);
    expect(access.payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const refresh = decodeJwt(res.body.data.refresh);
    expect(refresh.header).toMatchObject({ alg: "EdDSA", typ: "rt+jwt" });
    expect(refresh.payload).toMatchObject({ sub: user.id, token_type: "refresh", sid: access.payload.sid });
    expect(refresh.payload.exp - refresh.payload.iat).toBe(86_400);
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("logs in with a JSON body by username or by email, case-insensitively", async () => {
    const user = await newUser();
    const byName = await api("POST", "/auth/user/login", {
      json: { username: user.username.toUpperCase(), password: user.password },
    });
    expect(byName.status).toBe(200);
    const byEmail = await api("POST", "/auth/user/login/", {
      json: { email: ` ${user.email.toUpperCase()} `, password: user.password },
    });
    expect(byEmail.status).toBe(200);
  });

  it("accepts the email in place of the username with Basic, and Basic wins over a body", async () => {
    const user = await newUser();
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.email, user.password) })).status).toBe(200);
    const both = await api("POST", "/auth/user/login/", {
      headers: basic(user.username, user.password),
      json: { username: user.username, password: "wrong password 1" },
    });
    expect(both.status).toBe(200);
  });

  it("splits Basic credentials at the first colon, so a colon inside the password works", async () => {
    const user = await newUser({ password: "pass:word:42x", password2: "pass:word:42x" });
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, "pass:word:42x") })).status).toBe(200);
  });

  it("accepts non-ASCII passwords (UTF-8 in Basic, NFKC-normalised)", async () => {
    const user = await newUser({ password: "pässwörd-Ｏｋ9", password2: "pässwörd-Ｏｋ9" });
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, "pässwörd-Ok9") })).status).toBe(200);
  });

  it("answers a wrong password and an unknown account with the identical 401, without a Basic challenge", async () => {
    const user = await newUser();
    const wrong = await api("POST", "/auth/user/login/", { headers: basic(user.username, "Wrong-password-1") });
    const unknown = await api("POST", "/auth/user/login/", { headers: basic(`nobody_${user.username}`, user.password) });
    const unknownJson = await api("POST", "/auth/user/login/", {
      json: { email: `nobody.${user.email}`, password: user.password },
    });
    for (const res of [wrong, unknown, unknownJson]) {
      expectFailure(res, 401, "INVALID_CREDENTIALS");
      expect(res.text).toBe(wrong.text);
      expect(res.body.message).toBe("login failed");
      expect(res.headers.get("www-authenticate")).toBeNull();
    }
  });

  it.each([
    ["bad base64", { authorization: "Basic !!!not-base64!!!" }],
    ["base64 of invalid UTF-8", { authorization: `Basic ${btoa("\xff\xfe:\xfd")}` }],
    ["no colon", { authorization: `Basic ${btoa("justausername")}` }],
    ["an empty password", { authorization: `Basic ${btoa("someone:")}` }],
    ["an empty username", { authorization: `Basic ${btoa(":password1")}` }],
    ["an empty Basic value", { authorization: "Basic " }],
    ["the wrong scheme and no body", { authorization: "Bearer abc.def.ghi" }],
  ])("answers 400, never 500, for Basic with %s", async (_name, headers) => {
    const details = expectFailure(await api("POST", "/auth/user/login/", { headers }), 400, "VALIDATION_ERROR");
    expect(Object.keys(details)).toEqual(["authorization"]);
  });

  it.each([
    ["no body and no header", undefined],
    ["an empty object", {}],
    ["no password", { username: "someone" }],
    ["no identifier", { password: "Password-123" }],
    ["both username and email", { username: "someone", email: "someone@example.com", password: "Password-123" }],
    ["a non-string password", { username: "someone", password: 12345678 }],
    ["an empty password", { username: "someone", password: "" }],
    ["a password over 1024 bytes", { username: "someone", password: "x1".repeat(600) }],
  ])("answers 400 VALIDATION_ERROR for a JSON body with %s", async (_name, json) => {
    expectFailure(await api("POST", "/auth/user/login/", json === undefined ? {} : { json }), 400, "VALIDATION_ERROR");
  });

  it("records the last login time after answering", async () => {
    const user = await newUser();
    expect((await userRowById(user.id))?.lastLoginAt).toBeNull();
    const before = Date.now();
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).status).toBe(200);
    let lastLogin: Date | null | undefined = null;
    for (let i = 0; i < 50 && !lastLogin; i++) {
      lastLogin = (await userRowById(user.id))?.lastLoginAt;
      if (!lastLogin) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(lastLogin?.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it("rehashes a password stored with other parameters on the next successful login", async () => {
    const user = await newUser();
    const weak = await hashPassword(user.password, { iterations: 10_000, pepper: String(env.PASSWORD_PEPPER) });
    await testDb().update(users).set({ passwordHash: weak }).where(eq(users.id, user.id));
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).status).toBe(200);
    let iterations = 10_000;
    for (let i = 0; i < 50 && iterations === 10_000; i++) {
      iterations = parsePasswordHash((await userRowById(user.id))?.passwordHash ?? "")?.iterations ?? 0;
      if (iterations === 10_000) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(iterations).toBe(100_000);
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).status).toBe(200);
  });
});
