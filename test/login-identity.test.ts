// Which account a login names, exactly. MySQL compares the identifier columns ignoring accents
// (utf8mb4_unicode_ci, as PlanetScale's default), so a lookup there can return a near match:
// login accepts only the account whose canonical username or email is exactly what was typed.
// Otherwise every accented spelling of a locked name would be a fresh budget for the same
// account. And a name with "@" is an email: a username can no longer look like one, so no
// account can be named after someone else's address.
import { env } from "cloudflare:workers";
import { Client } from "@planetscale/database";
import { describe, expect, it } from "vitest";
import { api, basic, expectFailure, signup, signupBody, uniqueName } from "./helpers.ts";

const loginBasic = (name: string, password: string) => api("POST", "/auth/user/login/", { headers: basic(name, password) });
const loginJson = (field: "username" | "email", name: string, password: string) =>
  api("POST", "/auth/user/login/", { json: { [field]: name, password } });

async function newAccount(overrides: Record<string, unknown> = {}) {
  const body = signupBody(overrides);
  const created = await api("POST", "/auth/user/signup/", { json: body });
  expect(created.status, created.text).toBe(201);
  return { ...body, id: created.body.data.user_id as string };
}

/** `count` wrong passwords by `name`, each from its own IP (no per-IP limit, no device token). */
async function guessWrong(name: string, count: number) {
  for (let i = 0; i < count; i++) await loginBasic(name, "Wrong-passw0rd");
}

describe("login matches the account exactly, never a near match", () => {
  it("does not sign in by an accented spelling of the username or the email, in any login form", async () => {
    const user = await newAccount({ username: `lockme${uniqueName("x").slice(2)}` });
    const accentedName = user.username.replace("o", "ó");
    const accentedEmail = user.email.replace("example", "exámple");
    for (const res of [
      await loginBasic(accentedName, user.password),
      await loginBasic(accentedEmail, user.password),
      await loginJson("username", accentedName, user.password),
      await loginJson("email", accentedEmail, user.password),
    ]) {
      expectFailure(res, 401, "INVALID_CREDENTIALS");
    }
    // The exact names still work.
    expect((await loginBasic(user.username, user.password)).status).toBe(200);
    expect((await loginBasic(user.email, user.password)).status).toBe(200);
  });

  it("gives a locked account no fresh budget under other spellings: the owner's name stays locked and no spelling gets in", async () => {
    const user = await newAccount({ username: `lockme${uniqueName("x").slice(2)}` });
    await guessWrong(user.username, 10);
    expectFailure(await loginBasic(user.username, user.password), 429, "RATE_LIMITED");
    const spellings = [
      user.username.replace("o", "ó"),
      user.username.replace("e", "é"),
      user.username.replace("l", "ĺ"),
      user.username.toUpperCase().replace("O", "Ö"),
    ];
    for (const spelling of spellings) {
      const res = await loginBasic(spelling, user.password);
      expect(res.status, `${spelling}: ${res.text}`).not.toBe(200);
    }
  });

  it("still treats case, width and surrounding spaces as the same name (the canonical form)", async () => {
    const user = await newAccount();
    const fullWidth = [...user.username].map((c) =>
      /[a-z0-9]/.test(c) ? String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0) : c,
    );
    for (const name of [user.username.toUpperCase(), ` ${user.username} `, fullWidth.join("")]) {
      const res = await loginJson("username", name, user.password);
      expect(res.status, `${name}: ${res.text}`).toBe(200);
    }
    expect((await loginJson("email", user.email.toUpperCase(), user.password)).status).toBe(200);
  });

  it("refuses to sign up a name that differs from a taken one only by accents (the database's unique index)", async () => {
    const user = await newAccount();
    const res = await signup({ username: user.username.replace(/[aeiou]/, (v) => `${v}\u0301`.normalize("NFC")) });
    expect(expectFailure(res, 400, "VALIDATION_ERROR").username).toBeDefined();
  });
});

describe("a username cannot look like an email address", () => {
  it("refuses usernames with @ at signup", async () => {
    for (const username of ["victim@example.com", `${uniqueName()}@x`, "@handle"]) {
      const details = expectFailure(await signup({ username }), 400, "VALIDATION_ERROR");
      expect(details.username?.[0], username).toMatch(/letters, digits/);
    }
  });

  it("signs the owner of an address in by it, even when an older account was named after that address", async () => {
    const victim = await newAccount();
    // An account from before the rule (or imported): its username is the victim's address.
    const squatter = { password: "Squatter-passw0rd-93" };
    const created = await newAccount({ password: squatter.password, password2: squatter.password });
    await new Client({ url: String(env.DATABASE_URL) }).execute(
      "UPDATE users SET username = ?, username_canonical = ? WHERE id = ?",
      [victim.email, victim.email.toLowerCase(), created.id],
    );
    // Basic login (username or email): a name with @ is the email first.
    const owner = await loginBasic(victim.email, victim.password);
    expect(owner.status, owner.text).toBe(200);
    expectFailure(await loginBasic(victim.email, squatter.password), 401, "INVALID_CREDENTIALS");
    // The older account keeps working by its username where nothing else claims it.
    expect((await loginJson("username", victim.email, squatter.password)).status).toBe(200);
  });

  it("lets an older account whose username contains @ (and is nobody's email) still sign in with Basic", async () => {
    const legacy = await newAccount();
    const name = `${uniqueName("legacy")}@old`;
    await new Client({ url: String(env.DATABASE_URL) }).execute(
      "UPDATE users SET username = ?, username_canonical = ? WHERE id = ?",
      [name, name.toLowerCase(), legacy.id],
    );
    expect((await loginBasic(name, legacy.password)).status).toBe(200);
  });
});
