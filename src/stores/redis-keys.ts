// Every Redis key the service writes, in one place: what belongs to a user is under user:<id>:.
import { OTP_PURPOSES } from "../lib/otp.ts";

export const SESSION_PREFIX = "session:";
export const familyKey = (sessionId: string) => `${SESSION_PREFIX}${sessionId}`;
export const userSessionsKey = (userId: string) => `user:${userId}:sessions`;
export const validAfterKey = (userId: string) => `user:${userId}:tokens-valid-after`;
export const deniedAccessKey = (jti: string) => `denied-access:${jti}`;

export const otpKey = (subject: string, purpose: string) => `user:${subject}:otp:${purpose}`;

/**
 * What a lockout counts: password logins (by the name typed), password-reset codes (by the name
 * typed), and a signed-in user's own code checks (verification, email change; by user id).
 */
export type LockoutScope = "login" | "reset" | "otp";
export const lockoutKey = (lock: { scope: LockoutScope; subject: string }) => `lockout:${lock.scope}:${lock.subject}`;
/** Failed logins from one client (an IPv4 address or IPv6 /64), across accounts: when Turnstile is required. */
export const ipFailuresKey = (ipKey: string) => `ip:${ipKey}:login-failures`;

/** The user's keys other than sessions and valid-after (codes and the code lockout). */
export function otherUserKeys(userId: string): string[] {
  return [...OTP_PURPOSES.map((purpose) => otpKey(userId, purpose)), lockoutKey({ scope: "otp", subject: userId })];
}

/** A pending second factor, by the SHA-256 of its mfa_token (Redis never holds the token). */
export const mfaKey = (tokenDigest: string) => `mfa:${tokenDigest}`;
