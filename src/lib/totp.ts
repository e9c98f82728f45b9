// TOTP (RFC 6238) as authenticator apps expect it: SHA-1, 6 digits, 30 s steps, 160-bit secrets.
// The arithmetic is otpauth's; this file fixes the parameters and speaks in step counters, which
// is what the service stores to refuse a code the second time.
import { Secret, TOTP } from "otpauth";

const PERIOD_SECONDS = 30;
const PARAMETERS = { algorithm: "SHA1", digits: 6, period: PERIOD_SECONDS } as const;

/** A new random secret, base32 (160 bits, as RFC 4226 recommends). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export const totpStep = (timestampMs: number): number => Math.floor(timestampMs / 1000 / PERIOD_SECONDS);

export function generateTotp(secretBase32: string, timestampMs: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secretBase32), timestamp: timestampMs, ...PARAMETERS });
}

/** The step the code belongs to when it is the current, previous or next one; null otherwise. */
export function verifyTotp(secretBase32: string, code: string, timestampMs: number): number | null {
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secretBase32),
    timestamp: timestampMs,
    window: 1,
    ...PARAMETERS,
  });
  return delta === null ? null : totpStep(timestampMs) + delta;
}

/** The otpauth:// URI an authenticator app scans. */
export function totpUri(secretBase32: string, issuer: string, account: string): string {
  return new TOTP({ issuer, label: account, secret: Secret.fromBase32(secretBase32), ...PARAMETERS }).toString();
}
