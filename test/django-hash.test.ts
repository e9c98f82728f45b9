// Users imported from the original Django service keep their passwords: Django's
// pbkdf2_sha256 hashes are checked in their own format (above 100,000 iterations with a pure-JS
// PBKDF2, since deployed Workers cap Web Crypto there) and rehashed after the first login.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { users } from "../src/db/schema.ts";
import { parseDjangoHash, verifyDjangoPassword } from "../src/lib/django-hash.ts";
import { parsePasswordHash } from "../src/lib/password-hash.ts";
import { api, basic, eventually, expectFailure, signupBody, testDb, userRowById } from "./helpers.ts";

const encoder = new TextEncoder();

/** A reference Django hash, made with Web Crypto's PBKDF2 (not the code under test's pure-JS one). */
async function djangoHash(password: string, salt: string, iterations: number): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: encoder.encode(salt), iterations },
    key,
    256,
  );
  return `pbkdf2_sha256$${iterations}$${salt}$${btoa(String.fromCharCode(...new Uint8Array(bits)))}`;
}

// Django 3.2's own test vector: make_password("lètmein", "seasalt", "pbkdf2_sha256").
const DJANGO_32_VECTOR = "pbkdf2_sha256$260000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";

describe("Django pbkdf2_sha256 hashes", () => {
  it("verifies Django 3.2's own vector (260,000 iterations, pure-JS PBKDF2) and refuses a wrong password", async () => {
    expect(parseDjangoHash(DJANGO_32_VECTOR)).toMatchObject({ iterations: 260_000, salt: "seasalt" });
    expect(await verifyDjangoPassword("lètmein", DJANGO_32_VECTOR, 100_000)).toBe(true);
    expect(await verifyDjangoPassword("lètmeinz", DJANGO_32_VECTOR, 100_000)).toBe(false);
  }, 60_000);

  it("agrees with a reference PBKDF2 on both of its paths (Web Crypto, and pure JS when forced)", async () => {
    for (const [password, salt, iterations] of [
      ["Tr1cky-Passphrase", "a1B2c3D4e5F6g7H8", 1000],
      ["пароль с пробелами", "xyz", 20_000],
      ["", "emptypassword", 1],
    ] as const) {
      const stored = await djangoHash(password, salt, iterations);
      expect(await verifyDjangoPassword(password, stored, 100_000), `${iterations} via Web Crypto`).toBe(true);
      expect(await verifyDjangoPassword(password, stored, 0), `${iterations} via pure JS`).toBe(true);
      expect(await verifyDjangoPassword(`${password}x`, stored, 0)).toBe(false);
    }
  });

  it("reads no malformed or foreign hash as valid", async () => {
    for (const stored of [
      "pbkdf2_sha256$0$salt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
      "pbkdf2_sha256$2000000$salt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
      "pbkdf2_sha256$1000$salt$not base64!",
      "pbkdf2_sha256$1000$salt$c2hvcnQ=",
      "pbkdf2_sha256$1000$$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=",
      "pbkdf2_sha1$1000$salt$YlZ2Vggtqdc61YjArZ==",
    ]) {
      expect(await verifyDjangoPassword("lètmein", stored, 100_000), stored).toBe(false);
    }
  });

  it("refuses a hash above Django's 1,000,000 iterations without computing it (well under 1 s)", async () => {
    const stored = "pbkdf2_sha256$2000000$seasalt$YlZ2Vggtqdc61YjArZuoApoBh9JNGYoDRBUGu6tcJQo=";
    expect(parseDjangoHash(stored)).toBeNull();
    const started = Date.now();
    expect(await verifyDjangoPassword("lètmein", stored, 100_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("logging in with a password imported from the original service", () => {
  async function importedUser(hash: (password: string) => Promise<string> | string) {
    const body = signupBody();
    const res = await api("POST", "/auth/user/signup/", { json: body });
    expect(res.status).toBe(201);
    const id = res.body.data.user_id as string;
    await testDb()
      .update(users)
      .set({ passwordHash: await hash(body.password) })
      .where(eq(users.id, id));
    return { ...body, id };
  }

  it("logs in with the original password; the hash is rewritten to this service's format after that login, and the next login uses it", async () => {
    const user = await importedUser((password) => djangoHash(password, "DjangoSalt123", 1000));
    const first = await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) });
    expect(first.status, first.text).toBe(200);
    const rehashed = await eventually(async () => {
      const stored = (await userRowById(user.id))?.passwordHash ?? "";
      return stored.startsWith("pbkdf2-sha256$") ? stored : undefined;
    });
    expect(parsePasswordHash(rehashed ?? "")).toMatchObject({ iterations: 100_000, peppered: true });
    const second = await api("POST", "/auth/user/login/", { json: { username: user.username, password: user.password } });
    expect(second.status, second.text).toBe(200);
  });

  it("refuses a wrong password with 401 INVALID_CREDENTIALS and keeps the imported hash", async () => {
    const user = await importedUser((password) => djangoHash(password, "DjangoSalt123", 1000));
    const stored = (await userRowById(user.id))?.passwordHash;
    expectFailure(
      await api("POST", "/auth/user/login/", { headers: basic(user.username, "not-the-password") }),
      401,
      "INVALID_CREDENTIALS",
    );
    expect((await userRowById(user.id))?.passwordHash).toBe(stored);
  });

  it("answers 401, never 500, for hash formats it does not read (they need a password reset)", async () => {
    for (const stored of [
      "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
      "bcrypt_sha256$$2b$12$abcdefghijklmnopqrstuv",
      "!unusable",
    ]) {
      const user = await importedUser(() => stored);
      expectFailure(
        await api("POST", "/auth/user/login/", { headers: basic(user.username, user.password) }),
        401,
        "INVALID_CREDENTIALS",
      );
    }
  });
});
