// Every Redis key the service writes, in one place: what belongs to a user is under user:<id>:.
export const SESSION_PREFIX = "session:";
export const familyKey = (sessionId: string) => `${SESSION_PREFIX}${sessionId}`;
export const userSessionsKey = (userId: string) => `user:${userId}:sessions`;
export const validAfterKey = (userId: string) => `user:${userId}:tokens-valid-after`;
export const deniedAccessKey = (jti: string) => `denied-access:${jti}`;

export const OTP_PURPOSES = ["email-verify", "phone-verify", "password-reset", "email-change"] as const;
export type OtpPurpose = (typeof OTP_PURPOSES)[number];
export const otpKey = (subject: string, purpose: string) => `user:${subject}:otp:${purpose}`;

/** What a lockout counts: password logins, or every one-time-code check (all purposes together). */
export type LockoutScope = "login" | "otp";
export const lockoutKey = (subject: string, scope: LockoutScope) => `user:${subject}:lockout:${scope}`;
/** Failed logins from one client IP, across accounts (decides when Turnstile is required). */
export const ipLoginFailuresKey = (ip: string) => `ip:${ip}:login-failures`;

/** The user's keys other than sessions and valid-after (codes and lockouts). */
export function otherUserKeys(userId: string): string[] {
  return [...OTP_PURPOSES.map((purpose) => otpKey(userId, purpose)), lockoutKey(userId, "login"), lockoutKey(userId, "otp")];
}
