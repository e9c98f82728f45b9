import { describe, expect, it } from "vitest";
import { hashPassword, PBKDF2_MAX_ITERATIONS, parsePasswordHash, verifyPassword } from "../src/lib/password-hash.ts";
import wranglerConfig from "../wrangler.toml?raw";

describe("password hashing (PBKDF2-HMAC-SHA256)", () => {
  it("never exceeds the 100,000 iterations deployed Workers allow, in any environment", () => {
    expect(PBKDF2_MAX_ITERATIONS).toBe(100_000);
    const configured = [...wranglerConfig.matchAll(/PBKDF2_ITERATIONS\s*=\s*"(\d+)"/g)].map((match) => Number(match[1]));
    expect(configured.length).toBeGreaterThanOrEqual(3);
    for (const iterations of configured) expect(iterations).toBeLessThanOrEqual(PBKDF2_MAX_ITERATIONS);
  });

  it("refuses to hash with more iterations than Workers allow", async () => {
    await expect(hashPassword("x", { iterations: 100_001 })).rejects.toThrow();
  });

  it("writes a self-describing string that round-trips", async () => {
    const stored = await hashPassword("correct horse 42", { iterations: 1000, pepper: "pepper-pepper-pepper-pepper-1234" });
    expect(stored).toMatch(/^pbkdf2-sha256\$1000\$p\$[\w-]{22}\$[\w-]{43}$/);
    const parsed = parsePasswordHash(stored);
    expect(parsed).toMatchObject({ iterations: 1000, peppered: true });
    expect(parsed?.salt).toHaveLength(16);
    expect(parsed?.hash).toHaveLength(32);
    const options = { iterations: 1000, pepper: "pepper-pepper-pepper-pepper-1234" };
    expect(await verifyPassword("correct horse 42", stored, options)).toEqual({ valid: true, needsRehash: false });
    expect(await verifyPassword("correct horse 43", stored, options)).toEqual({ valid: false, needsRehash: false });
  });

  it("salts: the same password hashes differently twice", async () => {
    const a = await hashPassword("same", { iterations: 1000 });
    const b = await hashPassword("same", { iterations: 1000 });
    expect(a).not.toBe(b);
  });

  it("compares after NFKC normalisation", async () => {
    const stored = await hashPassword("ｐａｓｓ１", { iterations: 1000 });
    expect((await verifyPassword("pass1", stored, { iterations: 1000 })).valid).toBe(true);
  });

  it("asks for a rehash when the parameters changed, only after a correct password", async () => {
    const stored = await hashPassword("secret 1", { iterations: 1000 });
    expect(await verifyPassword("secret 1", stored, { iterations: 2000 })).toEqual({ valid: true, needsRehash: true });
    expect(await verifyPassword("secret 1", stored, { iterations: 1000, pepper: "new-pepper-new-pepper-new-pepper" })).toEqual({
      valid: true,
      needsRehash: true,
    });
    expect(await verifyPassword("wrong", stored, { iterations: 2000 })).toEqual({ valid: false, needsRehash: false });
  });

  it("needs the pepper for a peppered hash", async () => {
    const stored = await hashPassword("secret 1", { iterations: 1000, pepper: "pepper-pepper-pepper-pepper-1234" });
    expect((await verifyPassword("secret 1", stored, { iterations: 1000 })).valid).toBe(false);
    expect(
      (await verifyPassword("secret 1", stored, { iterations: 1000, pepper: "other-pepper-other-pepper-12345" })).valid,
    ).toBe(false);
  });

  it.each([
    "",
    "plain",
    "pbkdf2-sha256$0$n$a$b",
    "pbkdf2-sha256$100001$n$AAAA$AAAA",
    "bcrypt$10$x$y$z",
    "pbkdf2-sha256$1000$x$AAAA$AAAA",
  ])("treats a malformed stored hash %j as a mismatch, never an exception", async (stored) => {
    expect(await verifyPassword("anything", stored, { iterations: 1000 })).toEqual({ valid: false, needsRehash: false });
  });
});
