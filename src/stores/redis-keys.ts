// Every Redis key the service writes, in one place: what belongs to a user is under user:<id>:.
import { OTP_PURPOSES } from "../lib/otp.ts";

export const SESSION_PREFIX = "session:";
export const familyKey = (sessionId: string) => `${SESSION_PREFIX}${sessionId}`;
export const userSessionsKey = (userId: string) => `user:${userId}:sessions`;
export const validAfterKey = (userId: string) => `user:${userId}:tokens-valid-after`;
export const deniedAccessKey = (jti: string) => `denied-access:${jti}`;
/** "admin" for an admin (absent for a user): refreshed access tokens carry it (users.role is the truth). */
export const roleKey = (userId: string) => `user:${userId}:role`;

export const otpKey = (subject: string, purpose: string) => `user:${subject}:otp:${purpose}`;
/** When the codes of one purpose were sent (a sorted set): how many an account may be sent per hour. */
export const otpSendsKey = (subject: string, purpose: string) => `user:${subject}:otp-sends:${purpose}`;

/**
 * What a guard counts (docs/lockout.md): password logins of clients without a device token (a
 * budget, by the name typed), a known device's logins (by user and device), second-factor
 * answers at login (a budget, by user id), a signed-in session's password and code re-checks (by
 * session id), and a signed-in user's own code checks (verification, email change; by user id).
 */
export type LockoutScope = "login" | "device" | "mfa" | "session" | "otp";
export const lockoutKey = (lock: { scope: LockoutScope; subject: string }) => `lockout:${lock.scope}:${lock.subject}`;
/** Failed logins from one client (an IPv4 address or IPv6 /64), across accounts: when Turnstile is required. */
export const ipFailuresKey = (ipKey: string) => `ip:${ipKey}:login-failures`;

/** An email change's undo: the digest of its token, the old and the new address, its hold (7 days). */
export const emailUndoKey = (userId: string) => `user:${userId}:email-undo`;
/** An address an undo may give back, held for its account (by a keyed digest, never the address). */
export const emailHoldKey = (addressDigest: string) => `email-hold:${addressDigest}`;

/** The user's keys other than sessions and valid-after (codes, the code lockout, the role mirror). */
export function otherUserKeys(userId: string): string[] {
  return [
    ...OTP_PURPOSES.map((purpose) => otpKey(userId, purpose)),
    lockoutKey({ scope: "otp", subject: userId }),
    lockoutKey({ scope: "mfa", subject: userId }),
    otpSendsKey(userId, "password-reset"),
    otpSendsKey(userId, "sign-in"),
    emailUndoKey(userId),
    roleKey(userId),
    knownDevicesKey(userId),
  ];
}

/** A pending second factor, by the SHA-256 of its mfa_token (Redis never holds the token). */
export const mfaKey = (tokenDigest: string) => `mfa:${tokenDigest}`;

/** A WebAuthn challenge (base64url of 32 random bytes), until spent (see passkey-scripts.ts). */
export const challengeKey = (challenge: string) => `webauthn:${challenge}`;
/** A sign-in-with flow, by the digest of its state: provider, PKCE verifier, nonce, where it returns (10 minutes). */
export const oauthFlowKey = (stateDigest: string) => `oauth:flow:${stateDigest}`;
/** A spent one-time code of a flow, or a spent native ID token, by its id or digest (until it would have expired). */
export const oauthSpentKey = (id: string) => `oauth:spent:${id}`;

/** The devices and networks a user signed in from (digest -> last sign-in ms): new-device notices. */
export const knownDevicesKey = (userId: string) => `user:${userId}:devices`;
