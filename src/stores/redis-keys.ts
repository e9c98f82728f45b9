// Every Redis key the service writes, in one place: what belongs to a user is under user:<id>:.
export const SESSION_PREFIX = "session:";
export const familyKey = (sessionId: string) => `${SESSION_PREFIX}${sessionId}`;
export const userSessionsKey = (userId: string) => `user:${userId}:sessions`;
export const validAfterKey = (userId: string) => `user:${userId}:tokens-valid-after`;
export const deniedAccessKey = (jti: string) => `denied-access:${jti}`;

export const OTP_PURPOSES = ["email-verify", "phone-verify", "password-reset", "email-change"] as const;
export type OtpPurpose = (typeof OTP_PURPOSES)[number];
export const otpKey = (subject: string, purpose: string) => `user:${subject}:otp:${purpose}`;
export const otpFailuresKey = (subject: string, purpose: string) => `user:${subject}:otp-fails:${purpose}`;

/** The user's keys other than sessions and valid-after (codes and their failure counters). */
export function otherUserKeys(userId: string): string[] {
  return OTP_PURPOSES.flatMap((purpose) => [otpKey(userId, purpose), otpFailuresKey(userId, purpose)]);
}
