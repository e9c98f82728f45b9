import { describe, expect, it } from "vitest";
import { api, basic, bearer, decodeJwt, expectFailure, userWithSession } from "./helpers.ts";

const change = (access: string, json: Record<string, unknown>) =>
  api("POST", "/auth/password/change/", { headers: bearer(access), json });
const NEW = "Brand-new-passphrase-7";

describe("POST /auth/password/change/", () => {
  it("refuses a wrong old password, naming old_password", async () => {
    const { session } = await userWithSession();
    const res = await change(session.access, { old_password: "Wrong-password-1", password1: NEW, password2: NEW });
    expect(expectFailure(res, 400, "VALIDATION_ERROR")).toEqual({ old_password: ["Your old password was entered incorrectly."] });
  });

  it("refuses a new password equal to the old one, naming password1", async () => {
    const { user, session } = await userWithSession();
    const res = await change(session.access, { old_password: user.password, password1: user.password, password2: user.password });
    expect(expectFailure(res, 400, "VALIDATION_ERROR").password1).toContain(
      "New password cannot be the same as the old password.",
    );
  });

  it("applies the password policy and the confirmation", async () => {
    const { user, session } = await userWithSession();
    const weak = await change(session.access, { old_password: user.password, password1: "password1", password2: "password1" });
    expect(expectFailure(weak, 400, "VALIDATION_ERROR").password1).toContain("This password is too common.");
    const mismatch = await change(session.access, { old_password: user.password, password1: NEW, password2: `${NEW}x` });
    expect(expectFailure(mismatch, 400, "VALIDATION_ERROR").password2).toEqual(["Passwords must match"]);
    const missing = await change(session.access, { password1: NEW, password2: NEW });
    expect(expectFailure(missing, 400, "VALIDATION_ERROR").old_password).toEqual(["This field is required."]);
    // None of these changed anything: the old password still logs in.
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).status).toBe(200);
  });

  it("sets the new password, revokes every other session, and returns a working pair", async () => {
    const { user, session } = await userWithSession();
    const other = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data;
    // The original's username/email fields are accepted and ignored: identity is the token's.
    const res = await change(session.access, {
      old_password: user.password,
      password1: NEW,
      password2: NEW,
      username: "someone-else",
      email: "x@y.z",
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe("password change successful");
    const fresh = res.body.data;
    expect(fresh).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect(decodeJwt(fresh.access).payload.sub).toBe(user.id);

    for (const old of [session, other]) {
      expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(old.access) }), 401, "INVALID_TOKEN");
      expectFailure(await api("POST", "/auth/jwt/get-access/", { json: { refresh: old.refresh } }), 400, "INVALID_REFRESH_TOKEN");
    }
    expect((await api("POST", "/auth/jwt/check/", { headers: bearer(fresh.access) })).status).toBe(200);
    expect((await api("POST", "/auth/jwt/get-refresh/", { json: { refresh: fresh.refresh } })).status).toBe(200);

    expectFailure(
      await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) }),
      401,
      "INVALID_CREDENTIALS",
    );
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, NEW) })).status).toBe(200);
  });

  it("needs authentication", async () => {
    expectFailure(
      await api("POST", "/auth/password/change/", { json: { old_password: "a", password1: NEW, password2: NEW } }),
      401,
      "NOT_AUTHENTICATED",
    );
  });
});
