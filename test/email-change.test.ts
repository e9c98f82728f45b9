// Changing the account's email address by code.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../src/db/schema.ts";
import { adminToken } from "./admin-helpers.ts";
import {
  api,
  basic,
  bearer,
  decodeJwt,
  expectFailure,
  latestCode,
  messageTo,
  signup,
  testDb,
  uniqueName,
  userRowById,
  userWithSession,
  verifyEmailAddress,
} from "./helpers.ts";

const change = (access: string, json: unknown) => api("POST", "/auth/user/email/change/", { headers: bearer(access), json });
const confirm = (access: string, otp: string) =>
  api("POST", "/auth/user/email/confirm/", { headers: bearer(access), json: { otp } });

describe("email change", () => {
  it("sends a code to the new address; confirming applies it, verified, and tells the old address", async () => {
    const { user, session } = await userWithSession();
    const newEmail = `new.${user.email}`;
    const res = await change(session.access, { new_email: newEmail, password: user.password });
    expect(res.body).toMatchObject({ success: true, message: "email change successful" });
    const code = await latestCode(newEmail);
    const done = await confirm(session.access, code);
    expect(done.body).toEqual({
      success: true,
      message: "email change confirm successful",
      data: { email: newEmail },
      error: null,
    });
    const row = await userRowById(user.id);
    expect(row).toMatchObject({ email: newEmail, emailCanonical: newEmail.toLowerCase(), isEmailVerified: true });
    expect((await api("POST", "/auth/user/login/", { json: { email: newEmail, password: user.password } })).status).toBe(200);
    const notice = await messageTo(user.email, "email address was changed");
    expect(notice?.subject).toContain("email address was changed");
    expect(notice?.text).toContain(newEmail);
    // New access tokens from this session carry the new address.
    const access = (await api("POST", "/auth/jwt/get-access/", { json: { refresh: session.refresh } })).body.data.access;
    expect(decodeJwt(access).payload.email).toBe(newEmail);
  });

  it("requires the password and a free, different address", async () => {
    const { user, session } = await userWithSession();
    const other = await userWithSession();
    expect(
      expectFailure(
        await change(session.access, { new_email: `x.${user.email}`, password: "Wrong-pass-1" }),
        400,
        "VALIDATION_ERROR",
      ).password,
    ).toBeDefined();
    expect(
      expectFailure(
        await change(session.access, { new_email: other.user.email.toUpperCase(), password: user.password }),
        400,
        "VALIDATION_ERROR",
      ).new_email,
    ).toEqual(["This email is already registered."]);
    expect(
      expectFailure(await change(session.access, { new_email: user.email, password: user.password }), 400, "VALIDATION_ERROR")
        .new_email,
    ).toBeDefined();
    expectFailure(await change(session.access, { new_email: "nope", password: user.password }), 400, "VALIDATION_ERROR");
  });

  it("re-checks uniqueness when applying: two accounts racing for one address, one wins", async () => {
    const alice = await userWithSession();
    const bob = await userWithSession();
    const wanted = `contested.${alice.user.email}`;
    expect((await change(alice.session.access, { new_email: wanted, password: alice.user.password })).status).toBe(200);
    const aliceCode = await latestCode(wanted);
    expect((await change(bob.session.access, { new_email: wanted, password: bob.user.password })).status).toBe(200);
    const bobCode = await latestCode(wanted, 1);
    const results = await Promise.all([confirm(alice.session.access, aliceCode), confirm(bob.session.access, bobCode)]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 400]);
    const loser = results.find((r) => r.status === 400);
    expect(loser?.body.error).toEqual({
      code: "VALIDATION_ERROR",
      details: { new_email: ["This email is already registered."] },
    });
  });

  it("rejects a wrong code", async () => {
    const { user, session } = await userWithSession();
    await change(session.access, { new_email: `n2.${user.email}`, password: user.password });
    const code = await latestCode(`n2.${user.email}`);
    expectFailure(await confirm(session.access, String((Number(code) + 1) % 1_000_000).padStart(6, "0")), 400, "OTP_INVALID");
    expect((await userRowById(user.id))?.email).toBe(user.email);
    expect((await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).status).toBe(200);
  });
});

describe("undoing an email change from the old address", () => {
  const undo = (token: unknown) => api("POST", "/auth/user/email/undo/", { json: { token } });

  /** A user with a verified address (only those get an undo): signup's address confirmed by its code. */
  async function verifiedUser() {
    const created = await userWithSession();
    await verifyEmailAddress(created.user.email, created.session.access);
    return created;
  }

  /** A user whose email was changed with their session (as a thief with it and the password would). */
  async function changedAway() {
    const { user, session } = await verifiedUser();
    const other = (await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) })).body.data;
    const thief = `thief.${user.email}`;
    expect((await change(session.access, { new_email: thief, password: user.password })).status).toBe(200);
    expect((await confirm(session.access, await latestCode(thief))).status).toBe(200);
    const notice = await messageTo(user.email, "email address was changed");
    const token = /"token": "([^"]+)"/.exec(notice?.text ?? "")?.[1] ?? "";
    expect(token).not.toBe("");
    return { user, session, other, thief, token };
  }

  it("puts the old address back, verified, signs every session out, and works once", async () => {
    const { user, session, other, thief, token } = await changedAway();
    const res = await undo(token);
    expect(res.body).toEqual({
      success: true,
      message: "email change undo successful",
      data: { email: user.email },
      error: null,
    });
    expect(await userRowById(user.id)).toMatchObject({ email: user.email, isEmailVerified: true });
    for (const old of [session, other]) {
      expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(old.access) }), 401, "INVALID_TOKEN");
    }
    // The thief's address no longer signs in; the owner's does.
    expectFailure(
      await api("POST", "/auth/user/login/", { json: { email: thief, password: user.password } }),
      401,
      "INVALID_CREDENTIALS",
    );
    expect((await api("POST", "/auth/user/login/", { json: { email: user.email, password: user.password } })).status).toBe(200);
    expect((await messageTo(user.email, "email change was undone"))?.text).toContain("reset your password");
    expect(expectFailure(await undo(token), 400, "VALIDATION_ERROR").token).toBeDefined();
  });

  it("refuses a forged, altered or malformed token without changing anything", async () => {
    const { user, thief, token } = await changedAway();
    const [id, secret] = token.split(".");
    const altered = `${id}.${secret?.slice(0, -2)}${secret?.endsWith("AA") ? "BB" : "AA"}`;
    for (const bad of [altered, `${crypto.randomUUID()}.${secret}`, "nonsense", "", 42]) {
      expectFailure(await undo(bad), 400, "VALIDATION_ERROR");
    }
    expect((await userRowById(user.id))?.email).toBe(thief);
    // The real one still works after all that.
    expect((await undo(token)).status).toBe(200);
  });

  it("holds the old address for the undo: no one can sign up with it or move to it meanwhile", async () => {
    const { user, token } = await changedAway();
    expect(expectFailure(await signup({ email: user.email }), 400, "VALIDATION_ERROR").email).toEqual([
      "This email is already registered.",
    ]);
    const other = await userWithSession();
    const moved = await change(other.session.access, { new_email: user.email, password: other.user.password });
    expect(expectFailure(moved, 400, "VALIDATION_ERROR").new_email).toEqual(["This email is already registered."]);
    // Operators cannot hand it out either (the admin API's create and edit).
    const admin = await adminToken();
    const created = await api("POST", "/admin/users/", {
      headers: bearer(admin),
      json: { username: uniqueName("held"), email: user.email },
    });
    expect(expectFailure(created, 400, "VALIDATION_ERROR").email).toEqual(["This email is already registered."]);
    const edited = await api("PATCH", `/admin/users/${other.user.id}/`, { headers: bearer(admin), json: { email: user.email } });
    expect(expectFailure(edited, 400, "VALIDATION_ERROR").email).toEqual(["This email is already registered."]);
    // The undo releases it to its account.
    expect((await undo(token)).body.data).toEqual({ email: user.email });
  });

  it("releases the held address when the account is deleted", async () => {
    const { user, session } = await changedAway();
    const deleted = await api("DELETE", "/auth/user/delete/", {
      headers: bearer(session.access),
      json: { password: user.password },
    });
    expect(deleted.status, deleted.text).toBe(200);
    expect((await signup({ email: user.email })).status).toBe(201);
  });

  it("when the old address was taken anyway (outside the API): still signs every session out, and the token stays usable", async () => {
    const { user, session, thief, token } = await changedAway();
    const squatter = await userWithSession();
    await testDb()
      .update(users)
      .set({ email: user.email, emailCanonical: user.email.toLowerCase() })
      .where(eq(users.id, squatter.user.id));
    const details = expectFailure(await undo(token), 400, "VALIDATION_ERROR");
    expect(details.token?.[0]).toContain("another account");
    expect((await userRowById(user.id))?.email).toBe(thief);
    expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) }), 401, "INVALID_TOKEN");
    // Not spent: once the address is free again, the same token restores it.
    const freed = await api("POST", "/auth/user/email/change/", {
      headers: bearer(squatter.session.access),
      json: { new_email: `elsewhere.${user.email}`, password: squatter.user.password },
    });
    expect(freed.status).toBe(200);
    const code = await latestCode(`elsewhere.${user.email}`);
    expect((await confirm(squatter.session.access, code)).status).toBe(200);
    expect((await undo(token)).body.data).toEqual({ email: user.email });
  });

  it("keeps the first undo through a second change: the owner's token still restores the first address", async () => {
    const { user, session, thief, token } = await changedAway();
    const third = `third.${user.email}`;
    expect((await change(session.access, { new_email: third, password: user.password })).status).toBe(200);
    expect((await confirm(session.access, await latestCode(third))).status).toBe(200);
    // The thief's address was told, without a way to "undo" back to itself.
    const notice = await messageTo(thief, "email address was changed");
    expect(notice?.text).not.toContain("token");
    expect((await undo(token)).body.data).toEqual({ email: user.email });
  });

  it("mails no undo for an address that was never verified", async () => {
    const { user, session } = await userWithSession();
    const next = `next.${user.email}`;
    expect((await change(session.access, { new_email: next, password: user.password })).status).toBe(200);
    expect((await confirm(session.access, await latestCode(next))).status).toBe(200);
    const notice = await messageTo(user.email, "email address was changed");
    expect(notice?.text).not.toContain("token");
    expect(notice?.text).toContain("contact support");
  });

  it("makes a reset code sent to the thief's address useless once undone", async () => {
    const { user, thief, token } = await changedAway();
    expect((await api("POST", "/auth/password/forget/", { json: { email: thief } })).status).toBe(200);
    const otp = await latestCode(thief);
    expect((await undo(token)).status).toBe(200);
    const NEW = "Taken-back-passw0rd";
    const res = await api("POST", "/auth/password/reset/", {
      json: { username: user.username, otp, password1: NEW, password2: NEW },
    });
    expectFailure(res, 400, "OTP_INVALID");
  });
});
