// One-time codes: 6 digits from a CSPRNG without modulo bias, kept only as keyed digests.

import { toHex } from "./hex.ts";

/** What a code is for: a code of one purpose never works for another. */
export const OTP_PURPOSES = ["email-verify", "phone-verify", "password-reset", "email-change", "two-factor", "sign-in"] as const;
export type OtpPurpose = (typeof OTP_PURPOSES)[number];
const CODE_SPACE = 1_000_000;
// The largest multiple of 10^6 below 2^32: values at or above it are redrawn, so every code is equally likely.
const UNBIASED_LIMIT = Math.floor(2 ** 32 / CODE_SPACE) * CODE_SPACE;

export function generateOtp(): string {
  const buffer = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buffer);
    const value = buffer[0] ?? UNBIASED_LIMIT;
    if (value < UNBIASED_LIMIT) return String(value % CODE_SPACE).padStart(6, "0");
  }
}

/** A code as sent by a client: "012345", or the JSON number 12345 (leading zeros lost on the way). */
export function normalizeOtp(value: unknown): string | null {
  if (typeof value === "string" && /^\d{6}$/.test(value.trim())) return value.trim();
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value < CODE_SPACE)
    return String(value).padStart(6, "0");
  return null;
}

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * HMAC-SHA256 of the code bound to its purpose and subject: Redis never holds a code, a stolen
 * digest cannot be brute-forced without the secret, and a code for one purpose or user never
 * matches another's.
 */
export async function otpDigest(secret: string, purpose: string, subject: string, code: string): Promise<string> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keys.set(secret, key);
  }
  const mac = await crypto.subtle.sign("HMAC", await key, encoder.encode(`${purpose}\u0000${subject}\u0000${code}`));
  return toHex(mac);
}
