// Reading and updating the signed-in user's profile and user fields.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../src/db/schema.ts";
import { api, bearer, expectFailure, stableRow, testDb, userRowById, userWithSession } from "./helpers.ts";

const setPhoneVerified = (id: string) => testDb().update(users).set({ isPhoneNumberVerified: true }).where(eq(users.id, id));

describe("GET /profile/ and POST /profile/detail/", () => {
  it("return the user with profile fields and verification flags, and no secrets", async () => {
    const { user, session } = await userWithSession({ first_name: "Asha", country_alpha_code: "IN", phone_number: "9876543210" });
    const viaPost = await api("POST", "/profile/detail/", { headers: bearer(session.access) });
    const viaGet = await api("GET", "/profile", { headers: bearer(session.access) });
    expect(viaPost.status).toBe(200);
    expect(viaPost.body.message).toBe("profile detail successful");
    expect(viaGet.body).toEqual(viaPost.body);
    expect(viaPost.body.data).toMatchObject({
      user: {
        user_id: user.id,
        username: user.username,
        full_name: "Asha",
        is_email_verified: false,
        phone_number: "+919876543210",
      },
      phone_number: "+919876543210",
      is_phone_number_verified: false,
      address: null,
      city: null,
      state: null,
      country_name: "India",
      postal_code: null,
      referral_points: 0,
    });
    expect(viaPost.body.data.referral_id).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(viaPost.text).not.toMatch(/password|pbkdf2|tokens_valid_after|last_login/i);
  });

  it("needs a valid Bearer token", async () => {
    expectFailure(await api("GET", "/profile/"), 401, "NOT_AUTHENTICATED");
    expectFailure(await api("POST", "/profile/detail/", { headers: bearer("x.y.z") }), 401, "INVALID_TOKEN");
  });
});

describe("PUT /profile/update/", () => {
  it("updates address, city, state and postal code and answers 200 with the profile", async () => {
    const { session } = await userWithSession();
    const res = await api("PUT", "/profile/update/", {
      headers: bearer(session.access),
      json: { address: "12 MG Road", city: "Bengaluru", state: "Karnataka", postal_code: "560001" },
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe("profile update successful");
    expect(res.body.data).toMatchObject({ address: "12 MG Road", city: "Bengaluru", state: "Karnataka", postal_code: "560001" });
    const again = await api("GET", "/profile/", { headers: bearer(session.access) });
    expect(again.body.data).toEqual(res.body.data);
  });

  it.each(["referral_id", "referral_points", "is_phone_number_verified", "username", "country_name", "user"])(
    "rejects %s with a 400 naming it, and writes nothing",
    async (field) => {
      const { user, session } = await userWithSession();
      const before = await stableRow(user.id);
      const res = await api("PUT", "/profile/update/", { headers: bearer(session.access), json: { city: "Pune", [field]: "x" } });
      expect(expectFailure(res, 400, "VALIDATION_ERROR")[field]).toEqual(["This field cannot be updated."]);
      expect(await stableRow(user.id)).toEqual(before);
    },
  );

  it("re-validates a changed phone number and resets its verified flag", async () => {
    const { user, session } = await userWithSession({ country_alpha_code: "IN", phone_number: "9876543210" });
    await setPhoneVerified(user.id);
    const same = await api("PUT", "/profile/update/", {
      headers: bearer(session.access),
      json: { phone_number: "+91 98765 43210" },
    });
    expect(same.body.data.is_phone_number_verified).toBe(true);
    const bad = await api("PUT", "/profile/update/", {
      headers: bearer(session.access),
      json: { phone_number: "+442079460958" },
    });
    expect(expectFailure(bad, 400, "VALIDATION_ERROR").phone_number).toBeDefined();
    const changed = await api("PATCH", "/profile/update", {
      headers: bearer(session.access),
      json: { phone_number: "9123456780" },
    });
    expect(changed.status).toBe(200);
    expect(changed.body.data).toMatchObject({ phone_number: "+919123456780", is_phone_number_verified: false });
    expect((await userRowById(user.id))?.isPhoneNumberVerified).toBe(false);
  });
});

describe("PUT /auth/user/update/", () => {
  it("updates allow-listed fields and derives full_name and age", async () => {
    const { session } = await userWithSession({ first_name: "Asha" });
    const res = await api("PUT", "/auth/user/update/", {
      headers: bearer(session.access),
      json: { first_name: "Asha", last_name: "Rao", gender: 1, dob: "2000-01-01" },
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe("update successful");
    expect(res.body.data).toMatchObject({
      first_name: "Asha",
      last_name: "Rao",
      full_name: "Asha Rao",
      gender: 1,
      dob: "2000-01-01",
    });
    const today = new Date();
    expect(res.body.data.age).toBe(today.getUTCFullYear() - 2000 - (today.getUTCMonth() === 0 && today.getUTCDate() < 1 ? 1 : 0));
  });

  it("accepts PATCH too", async () => {
    const { session } = await userWithSession();
    const res = await api("PATCH", "/auth/user/update", { headers: bearer(session.access), json: { last_name: "Iyer" } });
    expect(res.status).toBe(200);
    expect(res.body.data.last_name).toBe("Iyer");
  });

  it.each([
    ["username", "mallory"],
    ["email", "mallory@example.com"],
    ["password", "Another-password-1"],
    ["is_email_verified", true],
    ["is_phone_number_verified", true],
    ["user_id", "00000000-0000-4000-8000-000000000000"],
    ["created_at", "2020-01-01T00:00:00Z"],
    ["full_name", "Someone Else"],
    ["age", 99],
    ["referral_points", 1000],
    ["user_type", 1],
  ])("rejects %s with a 400 naming it, and writes nothing", async (field, value) => {
    const { user, session } = await userWithSession();
    const before = await stableRow(user.id);
    const res = await api("PUT", "/auth/user/update/", {
      headers: bearer(session.access),
      json: { first_name: "Changed", [field]: value },
    });
    expect(expectFailure(res, 400, "VALIDATION_ERROR")[field]).toEqual(["This field cannot be updated."]);
    expect(await stableRow(user.id)).toEqual(before);
  });

  it("fills and checks the country, and keeps it consistent with the phone number", async () => {
    const { user, session } = await userWithSession({ country_alpha_code: "IN", phone_number: "9876543210" });
    const before = await stableRow(user.id);
    const mismatch = await api("PUT", "/auth/user/update/", {
      headers: bearer(session.access),
      json: { country_alpha_code: "IN", country_name: "Nepal" },
    });
    expect(expectFailure(mismatch, 400, "VALIDATION_ERROR").country_name).toBeDefined();
    const orphaned = await api("PUT", "/auth/user/update/", {
      headers: bearer(session.access),
      json: { country_alpha_code: "GB" },
    });
    expect(expectFailure(orphaned, 400, "VALIDATION_ERROR").phone_number).toBeDefined();
    expect(await stableRow(user.id)).toEqual(before);
    const moved = await api("PUT", "/auth/user/update/", {
      headers: bearer(session.access),
      json: { country_alpha_code: "GB", phone_number: "020 7946 0958" },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.data).toMatchObject({
      country_alpha_code: "GB",
      country_name: "United Kingdom",
      country_phone_code: 44,
      phone_number: "+442079460958",
    });
  });

  it("resets the phone verified flag when the number changes", async () => {
    const { user, session } = await userWithSession({ country_alpha_code: "IN", phone_number: "9876543210" });
    await setPhoneVerified(user.id);
    const res = await api("PUT", "/auth/user/update/", { headers: bearer(session.access), json: { phone_number: "9123456780" } });
    expect(res.body.data).toMatchObject({ phone_number: "+919123456780", is_phone_number_verified: false });
  });

  it.each([
    [{ gender: 5 }, "gender"],
    [{ dob: "2999-01-01" }, "dob"],
    [{ first_name: "x".repeat(151) }, "first_name"],
    [{ country_alpha_code: "ZZ" }, "country_alpha_code"],
  ])("rejects invalid values (%j) and writes nothing", async (json, field) => {
    const { user, session } = await userWithSession();
    const before = await stableRow(user.id);
    const res = await api("PUT", "/auth/user/update/", { headers: bearer(session.access), json });
    expect(Object.keys(expectFailure(res, 400, "VALIDATION_ERROR"))).toContain(field);
    expect(await stableRow(user.id)).toEqual(before);
  });

  it("needs authentication", async () => {
    expectFailure(await api("PUT", "/auth/user/update/", { json: { first_name: "x" } }), 401, "NOT_AUTHENTICATED");
  });
});
