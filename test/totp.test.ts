// TOTP (RFC 6238) as the authenticator apps compute it: HMAC-SHA-1, 30-second steps, 6 digits.
// The functions are awaited so the tests hold whether they answer at once or with a promise.
import { Secret, TOTP } from "otpauth";
import { describe, expect, it } from "vitest";
import { generateTotp, newTotpSecret, verifyTotp } from "../src/lib/totp.ts";

const STEP_MS = 30_000;
// RFC 6238, appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const RFC_VECTORS: [seconds: number, eightDigits: string][] = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

/** What an authenticator app shows for `secret` during `step`. */
const appCode = (secret: string, step: number) => TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * STEP_MS });

/** A code that is not the code of any step from step - 3 to step + 3. */
function codeOfNoStepNear(secret: string, step: number): string {
  const near = new Set(Array.from({ length: 7 }, (_, i) => appCode(secret, step - 3 + i)));
  for (let candidate = 0; ; candidate += 1) {
    const code = String(candidate).padStart(6, "0");
    if (!near.has(code)) return code;
  }
}

describe("generateTotp", () => {
  it("gives the RFC 6238 SHA-1 test vectors (their last 6 digits)", async () => {
    for (const [seconds, eightDigits] of RFC_VECTORS) {
      expect(await generateTotp(RFC_SECRET, seconds * 1000)).toBe(eightDigits.slice(-6));
    }
  });

  it("keeps leading zeros: 1111111109 s gives 081804", async () => {
    expect(await generateTotp(RFC_SECRET, 1111111109 * 1000)).toBe("081804");
  });

  it("is constant within a 30 s step and changes with the step", async () => {
    const start = 1111111110 * 1000; // a step boundary (37037037 * 30 s)
    const code = await generateTotp(RFC_SECRET, start);
    expect(await generateTotp(RFC_SECRET, start + 29_999)).toBe(code);
    expect(await generateTotp(RFC_SECRET, start - 1)).toBe(appCode(RFC_SECRET, start / STEP_MS - 1));
    expect(await generateTotp(RFC_SECRET, start + STEP_MS)).toBe(appCode(RFC_SECRET, start / STEP_MS + 1));
  });

  it("agrees with an authenticator app (otpauth) for fresh secrets, now and across the years", async () => {
    for (let i = 0; i < 5; i++) {
      const secret = new Secret({ size: 20 }).base32;
      for (const timestamp of [Date.now(), 0, 1_700_000_000_000, 4_102_444_800_000]) {
        expect(await generateTotp(secret, timestamp)).toBe(TOTP.generate({ secret: Secret.fromBase32(secret), timestamp }));
      }
    }
  });

  it("always gives exactly 6 digits", async () => {
    const secret = new Secret({ size: 20 }).base32;
    for (let step = 0; step < 200; step++) expect(await generateTotp(secret, step * STEP_MS)).toMatch(/^\d{6}$/);
  });
});

describe("verifyTotp", () => {
  const secret = new Secret({ size: 20 }).base32;
  const step = Math.floor(Date.now() / STEP_MS);
  const middle = step * STEP_MS + 15_000;

  it("accepts the current step's code and returns that step", async () => {
    expect(await verifyTotp(secret, appCode(secret, step), middle)).toBe(step);
    // At either edge of the step as well.
    expect(await verifyTotp(secret, appCode(secret, step), step * STEP_MS)).toBe(step);
    expect(await verifyTotp(secret, appCode(secret, step), step * STEP_MS + 29_999)).toBe(step);
  });

  it("accepts the previous and the next step's code, returning their step", async () => {
    expect(await verifyTotp(secret, appCode(secret, step - 1), middle)).toBe(step - 1);
    expect(await verifyTotp(secret, appCode(secret, step + 1), middle)).toBe(step + 1);
  });

  it("rejects codes two or more steps away with null", async () => {
    for (const offset of [-2, 2, -3, 3, -10, 10]) {
      const code = appCode(secret, step + offset);
      // A code that happens to equal a code inside the window (one in a million) proves nothing.
      const inWindow = [-1, 0, 1].some((near) => appCode(secret, step + near) === code);
      if (!inWindow) expect(await verifyTotp(secret, code, middle)).toBeNull();
    }
  });

  it("rejects a wrong code with null", async () => {
    expect(await verifyTotp(secret, codeOfNoStepNear(secret, step), middle)).toBeNull();
  });

  it("rejects another secret's code", async () => {
    const other = new Secret({ size: 20 }).base32;
    const code = appCode(other, step);
    const inWindow = [-1, 0, 1].some((near) => appCode(secret, step + near) === code);
    if (!inWindow) expect(await verifyTotp(secret, code, middle)).toBeNull();
  });

  it("returns null (never throws) for codes that are not 6 digits", async () => {
    const good = appCode(secret, step);
    for (const code of [
      "",
      "12345",
      "1234567",
      good.slice(0, 5),
      `${good}0`,
      "abcdef",
      " 12345",
      "12 456",
      "-12345",
      "１２３４５６",
    ]) {
      expect(await verifyTotp(secret, code, middle)).toBeNull();
    }
  });

  it("checks the RFC 6238 vectors: 59 s is step 1, 1111111109 s is step 37037036", async () => {
    expect(await verifyTotp(RFC_SECRET, "287082", 59_000)).toBe(1);
    expect(await verifyTotp(RFC_SECRET, "081804", 1111111109_000)).toBe(37037036);
    expect(await verifyTotp(RFC_SECRET, "050471", 1111111111_000)).toBe(37037037);
    // 1111111111 s is one step after 1111111109 s: each code is inside the other's window.
    expect(await verifyTotp(RFC_SECRET, "081804", 1111111111_000)).toBe(37037036);
    expect(await verifyTotp(RFC_SECRET, "050471", 1111111109_000)).toBe(37037037);
    // 1234567890 s is far away from both.
    expect(await verifyTotp(RFC_SECRET, "005924", 1111111111_000)).toBeNull();
    expect(await verifyTotp(RFC_SECRET, "005924", 1234567890_000)).toBe(41152263);
  });
});

describe("newTotpSecret", () => {
  it("is 32 base32 characters (160 bits) that an authenticator app accepts", async () => {
    const secret = await newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(Secret.fromBase32(secret).bytes).toHaveLength(20);
    const now = Date.now();
    expect(await generateTotp(secret, now)).toBe(TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: now }));
  });

  it("is different every time", async () => {
    const secrets = new Set<string>();
    for (let i = 0; i < 100; i++) secrets.add(await newTotpSecret());
    expect(secrets.size).toBe(100);
  });
});
