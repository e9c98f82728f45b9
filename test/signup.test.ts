import { describe, expect, it } from "vitest";
import { COMMON_PASSWORDS } from "../src/data/common-passwords.ts";
import { PBKDF2_MAX_ITERATIONS, parsePasswordHash } from "../src/lib/password-hash.ts";
import { expandFrontCoded } from "../src/services/password-policy.ts";
import { api, expectFailure, signup, signupBody, uniqueName, userRowById } from "./helpers.ts";

describe("POST /auth/user/signup/", () => {
  it("creates the user and answers 201 with its public fields", async () => {
    const body = signupBody({ first_name: "Asha", last_name: "Rao", gender: 1, dob: "1994-05-17" });
    const res = await api("POST", "/auth/user/signup/", { json: body });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ success: true, message: "signup successful", error: null });
    const user = res.body.data;
    expect(user).toMatchObject({
      username: body.username,
      email: body.email,
      first_name: "Asha",
      last_name: "Rao",
      full_name: "Asha Rao",
      gender: 1,
      dob: "1994-05-17",
      is_email_verified: false,
      is_phone_number_verified: false,
      country_alpha_code: null,
      country_phone_code: null,
      country_name: null,
      phone_number: null,
    });
    expect(user.user_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(user.age).toBeGreaterThanOrEqual(30);
    expect(new Date(user.created_at).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(res.body)).not.toMatch(/password|pbkdf2/i);
  });

  it("stores a salted PBKDF2 hash (at most 100,000 iterations), never the password", async () => {
    const res = await signup();
    const row = await userRowById(res.body.data.user_id);
    expect(row?.passwordHash).not.toContain("Tr1cky-Passphrase");
    const parsed = parsePasswordHash(row?.passwordHash ?? "");
    expect(parsed).not.toBeNull();
    expect(parsed?.iterations).toBeLessThanOrEqual(PBKDF2_MAX_ITERATIONS);
    expect(parsed?.iterations).toBe(100_000);
    expect(parsed?.peppered).toBe(true);
    expect(parsed?.salt.length).toBeGreaterThanOrEqual(16);
    expect(row?.referralId).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(row?.usernameCanonical).toBe(row?.username.toLowerCase());
  });

  it("works without the trailing slash", async () => {
    const res = await api("POST", "/auth/user/signup", { json: signupBody() });
    expect(res.status).toBe(201);
  });

  it("ignores fields a client must not set (is_email_verified, user_id, full_name, user_type)", async () => {
    const res = await signup({
      is_email_verified: true,
      is_phone_number_verified: true,
      user_id: "00000000-0000-4000-8000-000000000000",
      full_name: "Mallory",
      user_type: 1,
      referral_points: 1000,
    });
    expect(res.status).toBe(201);
    expect(res.body.data.is_email_verified).toBe(false);
    expect(res.body.data.user_id).not.toBe("00000000-0000-4000-8000-000000000000");
    expect(res.body.data.full_name).toBe("");
    const row = await userRowById(res.body.data.user_id);
    expect(row).toMatchObject({ isEmailVerified: false, isPhoneNumberVerified: false, userType: 2, referralPoints: 0 });
  });
});

describe("signup validation", () => {
  it("names every missing required field", async () => {
    const details = expectFailure(await api("POST", "/auth/user/signup/", { json: {} }), 400, "VALIDATION_ERROR");
    for (const field of ["username", "email", "password", "password2"]) {
      expect(details[field], field).toEqual(["This field is required."]);
    }
  });

  it("answers 'signup failed' in the envelope", async () => {
    const res = await api("POST", "/auth/user/signup/", { json: {} });
    expect(res.body).toMatchObject({ success: false, message: "signup failed", data: null });
  });

  it.each([
    ["an invalid email", { email: "not-an-email" }, "email"],
    ["an email over 254 characters", { email: `${"a".repeat(250)}@example.com` }, "email"],
    ["a username over 100 characters", { username: "u".repeat(101) }, "username"],
    ["a username with spaces", { username: "two words" }, "username"],
    ["a username with a newline", { username: "evil\nname" }, "username"],
    ["a blank username", { username: "   " }, "username"],
    ["mismatched passwords", { password2: "Different-Passphrase1" }, "password2"],
    ["a password shorter than 8", { password: "ab1", password2: "ab1" }, "password"],
    ["a password without digits", { password: "OnlyLettersHere", password2: "OnlyLettersHere" }, "password"],
    ["a password without letters", { password: "1234567890123", password2: "1234567890123" }, "password"],
    ["a common password", { password: "password1", password2: "password1" }, "password"],
    ["a password over 1024 bytes", { password: `a1${"é".repeat(600)}`, password2: `a1${"é".repeat(600)}` }, "password"],
    ["a first name over 150 characters", { first_name: "f".repeat(151) }, "first_name"],
    ["a last name with a control character", { last_name: "Rao\u0007" }, "last_name"],
    ["gender 3", { gender: 3 }, "gender"],
    ["gender as a word", { gender: "female" }, "gender"],
    ["a dob in the wrong format", { dob: "17/05/1994" }, "dob"],
    ["a dob that is not a real date", { dob: "2023-02-30" }, "dob"],
    ["a dob in the future", { dob: "2999-01-01" }, "dob"],
    ["a dob of today", { dob: new Date().toISOString().slice(0, 10) }, "dob"],
    ["an unknown country code", { country_alpha_code: "ZZ" }, "country_alpha_code"],
    ["a country name that does not match the code", { country_alpha_code: "IN", country_name: "France" }, "country_name"],
    ["a calling code that does not match the code", { country_alpha_code: "IN", country_phone_code: 44 }, "country_phone_code"],
    ["a country name without a code", { country_name: "India" }, "country_alpha_code"],
    ["a calling code without a code", { country_phone_code: 91 }, "country_alpha_code"],
    ["a non-numeric calling code", { country_alpha_code: "IN", country_phone_code: "ninety-one" }, "country_phone_code"],
    ["a phone number invalid for the country", { country_alpha_code: "IN", phone_number: "12345" }, "phone_number"],
    ["a + phone number of another country", { country_alpha_code: "IN", phone_number: "+442079460958" }, "phone_number"],
    ["a national phone number without a country", { phone_number: "9876543210" }, "phone_number"],
    ["a username of the wrong type", { username: 42 }, "username"],
  ])("rejects %s with a 400 naming the field", async (_name, overrides, field) => {
    const body = signupBody(overrides);
    const res = await api("POST", "/auth/user/signup/", { json: body });
    const details = expectFailure(res, 400, "VALIDATION_ERROR");
    expect(Object.keys(details)).toContain(field);
  });

  it("rejects a password equal to the username or the email", async () => {
    for (const field of ["username", "email"] as const) {
      const body = signupBody();
      const details = expectFailure(
        await api("POST", "/auth/user/signup/", { json: { ...body, password: body[field], password2: body[field] } }),
        400,
        "VALIDATION_ERROR",
      );
      expect(details.password, field).toContain("The password is too similar to the username or email.");
    }
  });

  it("reports several problems at once", async () => {
    const details = expectFailure(
      await api("POST", "/auth/user/signup/", { json: signupBody({ email: "bad", password2: "nope", gender: 9 }) }),
      400,
      "VALIDATION_ERROR",
    );
    expect(Object.keys(details).sort()).toEqual(["email", "gender"]);
  });

  it("writes nothing when validation fails", async () => {
    const body = signupBody({ dob: "2999-01-01" });
    expectFailure(await api("POST", "/auth/user/signup/", { json: body }), 400, "VALIDATION_ERROR");
    const retry = await api("POST", "/auth/user/signup/", { json: { ...body, dob: "1990-01-01" } });
    expect(retry.status).toBe(201);
  });
});

describe("the common-password list", () => {
  it("is shipped front-coded: each line shares a counted prefix with the word before", () => {
    expect(expandFrontCoded("0abc\n2d\n0x\n1yz")).toEqual(["abc", "abd", "x", "xyz"]);
    const words = expandFrontCoded(COMMON_PASSWORDS);
    expect(new Set(words).size).toBe(5000);
    expect(words).toEqual(expect.arrayContaining(["password1", "qwertyuiop", "1qaz2wsx", "trustno1", "zxcvbnm1"]));
    expect(words.every((word) => word.length >= 8 && /^[\x21-\x7e]+$/.test(word))).toBe(true);
  });
});

describe("signup country and phone", () => {
  it("fills in the country from the alpha code alone", async () => {
    const res = await signup({ country_alpha_code: "np" });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ country_alpha_code: "NP", country_name: "Nepal", country_phone_code: 977 });
  });

  it("accepts a matching name and calling code (as number or string)", async () => {
    const res = await signup({ country_alpha_code: "US", country_name: "United States", country_phone_code: "1" });
    expect(res.status).toBe(201);
    expect(res.body.data.country_phone_code).toBe(1);
  });

  it("stores a national phone number in E.164 for the country", async () => {
    const res = await signup({ country_alpha_code: "IN", phone_number: "098765 43210" });
    expect(res.status).toBe(201);
    expect(res.body.data.phone_number).toBe("+919876543210");
    expect(res.body.data.is_phone_number_verified).toBe(false);
  });

  it("takes the country from a + number given without one", async () => {
    const res = await signup({ phone_number: "+44 20 7946 0958" });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      phone_number: "+442079460958",
      country_alpha_code: "GB",
      country_name: "United Kingdom",
      country_phone_code: 44,
    });
  });

  it("leaves the country empty when none is given (no India default)", async () => {
    const res = await signup();
    expect(res.body.data).toMatchObject({ country_alpha_code: null, country_name: null, country_phone_code: null });
  });
});

describe("signup duplicates", () => {
  it("rejects a taken username and email, judged on their canonical forms", async () => {
    const first = signupBody();
    expect((await api("POST", "/auth/user/signup/", { json: first })).status).toBe(201);
    // Another person (another password): the same request with the same password is a retry (failures.test.ts).
    const again = signupBody({
      username: ` ${first.username.toUpperCase()} `,
      email: first.email.toUpperCase(),
      password: "Someone-else-99",
      password2: "Someone-else-99",
    });
    const details = expectFailure(await api("POST", "/auth/user/signup/", { json: again }), 400, "VALIDATION_ERROR");
    expect(details.username).toEqual(["This username is already taken."]);
    expect(details.email).toEqual(["This email is already registered."]);
  });

  it("treats full-width letters as their ASCII twins (NFKC)", async () => {
    const first = signupBody({ username: uniqueName("wide") });
    expect((await api("POST", "/auth/user/signup/", { json: first })).status).toBe(201);
    const wide = [...first.username]
      .map((ch) => (/[a-z]/.test(ch) ? String.fromCharCode(ch.charCodeAt(0) + 0xfee0) : ch))
      .join("");
    const details = expectFailure(await signup({ username: wide }), 400, "VALIDATION_ERROR");
    expect(details.username).toEqual(["This username is already taken."]);
  });

  it("lets exactly one of 50 parallel signups of one username win; the rest are 400, none 5xx", async () => {
    const username = uniqueName("race");
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => signup({ username, email: `${username}.${i}@example.com` })),
    );
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(49);
    for (const res of results.filter((r) => r.status === 400)) {
      expect(res.body.error).toEqual({ code: "VALIDATION_ERROR", details: { username: ["This username is already taken."] } });
    }
  });
});
