// One-time codes: 6 digits, hashed, 10-minute lifetime, single use, at most 5 wrong tries per
// code, 60 s between sends. Across codes, a signed-in user's checks have the account's 'otp'
// lockout (a few failures lock every code check of the account for a growing, capped cool-down);
// password-reset codes have none (the mailbox path must stay open to the owner) but at most
// RESET_CODES_PER_HOUR of them are sent per account and hour.
import type { EmailMessage } from "../delivery/ports.ts";
import type { DeliveryDeps, Deps } from "../deps.ts";
import { accessRef, type UncheckedAccess } from "../lib/access.ts";
import { AppError, appErrorIn, invalidTokenError } from "../lib/errors.ts";
import { generateOtp, type OtpPurpose, otpDigest } from "../lib/otp.ts";
import type { CaptchaState, Lockable } from "../stores/lockout-store.ts";
import type { CheckMode, SpentCode } from "../stores/otp-store.ts";
import { coolingDown, lockoutPolicy, refuseWhenLocked } from "./abuse-guards.ts";
import { sendEmail } from "./delivery.ts";

export const MAX_OTP_FAILURES = 5;
export const RESEND_COOLDOWN_MS = 60_000;
export const RESET_TOKEN_TTL_MS = 10 * 60_000;
/** Reset codes an account can be sent per hour: with 5 tries each, 25 guesses an hour at 1 in 10^6. */
export const RESET_CODES_PER_HOUR = 5;

// Keyed with the signing key's secret part: already secret, always configured.
const otpSecret = (deps: Pick<Deps, "config">) => `otp:${deps.config.JWT_PRIVATE_KEY.d}`;
const ttlMs = (deps: Pick<Deps, "config">) => deps.config.OTP_TTL_SECONDS * 1000;
export const otpMinutes = (deps: Pick<Deps, "config">) => Math.round(deps.config.OTP_TTL_SECONDS / 60);

/** A code's stored form: what a script compares when it checks a code inline (2FA verify). */
export const codeDigest = (deps: Pick<Deps, "config">, purpose: OtpPurpose, subject: string, code: string) =>
  otpDigest(otpSecret(deps), purpose, subject, code);

/** A fresh code for (subject, purpose), replacing any earlier one; 429 inside the resend cooldown. */
export async function issueOtp(
  deps: Pick<Deps, "clock" | "config" | "otps">,
  subject: string,
  purpose: OtpPurpose,
  target: string,
): Promise<string> {
  const code = generateOtp();
  const digest = await otpDigest(otpSecret(deps), purpose, subject, code);
  const result = await deps.otps.store(
    { subject, purpose, digest, target },
    {
      nowMs: deps.clock.now().getTime(),
      ttlMs: ttlMs(deps),
      cooldownMs: RESEND_COOLDOWN_MS,
      // The codes a stranger can have mailed to someone are capped per account and hour.
      sendsPerHour: purpose === "password-reset" || purpose === "sign-in" ? RESET_CODES_PER_HOUR : 0,
    },
  );
  if (result.status === "cooldown") throw coolingDown(result.retryAfterMs);
  return code;
}

export interface OtpCheck {
  subject: string;
  purpose: OtpPurpose;
  /** The code, or in 'consume-token' mode the reset token. */
  secret: string;
  mode: CheckMode;
  /** Fold the caller's access-token revocation check into the same round trip. */
  access?: UncheckedAccess;
  /** The account's id when it exists (for the security log); unknown subjects are only logged. */
  userId?: string;
  /** Whose failures lock: by default the subject's own code checks ('otp' scope); null for none. */
  lock?: Lockable | null;
  /** Turnstile state of the request: a solved challenge gets a few tries through a lockout. */
  captcha?: CaptchaState;
}

/**
 * Returns what the code was issued for (an address or number); every failure is one OTP_INVALID.
 * A consumed code comes with what it was, to give back (spendOtpOn).
 */
export async function verifyOtp(
  deps: Pick<Deps, "clock" | "config" | "otps" | "securityLog">,
  check: OtpCheck,
): Promise<{ target: string; resetToken?: string; spent?: SpentCode }> {
  const purposeOfSecret = check.mode === "consume-token" ? "reset-token" : check.purpose;
  const digest = await otpDigest(otpSecret(deps), purposeOfSecret, check.subject, check.secret);
  // Derived from the code, so concurrent confirms of one code all hand out the same, usable token.
  const resetToken =
    check.mode === "issue-token"
      ? await otpDigest(otpSecret(deps), "reset-token-of-code", check.subject, check.secret)
      : undefined;
  const result = await deps.otps.check({
    subject: check.subject,
    purpose: check.purpose,
    digest,
    mode: check.mode,
    nowMs: deps.clock.now().getTime(),
    maxFailures: MAX_OTP_FAILURES,
    lock: check.lock === undefined ? { scope: "otp", subject: check.subject } : check.lock,
    lockout: lockoutPolicy(deps.config),
    captcha: check.captcha ?? "off",
    token: resetToken
      ? { digest: await otpDigest(otpSecret(deps), "reset-token", check.subject, resetToken), ttlMs: RESET_TOKEN_TTL_MS }
      : undefined,
    access: check.access ? accessRef(check.access) : undefined,
  });
  if (result.status === "token-revoked") throw invalidTokenError();
  if (result.status === "locked") refuseWhenLocked(deps, result, check.userId);
  if (result.status !== "ok") throw new AppError("OTP_INVALID");
  return { target: result.target, resetToken, spent: result.spent };
}

/**
 * Consumes a code, then runs the writes it was for. When they fail (a 503: not known to be done),
 * the code is given back, so the client's retry of the same request works instead of finding the
 * code used; the writes must therefore be safe to run twice. A newer code sent meanwhile is kept.
 */
export async function spendOtpOn<T>(
  deps: Pick<Deps, "clock" | "config" | "log" | "otps" | "securityLog">,
  check: OtpCheck & { mode: "consume" | "consume-token" },
  apply: (target: string) => Promise<T>,
): Promise<T> {
  const { target, spent } = await verifyOtp(deps, check);
  try {
    return await apply(target);
  } catch (error) {
    // A definite refusal (a 4xx) keeps the code spent; anything else did not finish.
    if (spent && (appErrorIn(error)?.status ?? 500) >= 500)
      await deps.otps.restore(spent).catch((cause: unknown) => deps.log.error("code_not_given_back", { error: cause }));
    throw error;
  }
}

/**
 * The mailbox paths (password forget, email sign-in): after the response, the account `find`
 * names, if any, is mailed a fresh code. Inside the cooldown or over the hourly cap nothing is
 * sent; the request's answer was the same anyway, so nothing tells which happened.
 */
export function mailCodeAfterResponse(
  deps: DeliveryDeps & Pick<Deps, "clock" | "otps">,
  purpose: "password-reset" | "sign-in",
  find: () => Promise<{ id: string; email: string; emailCanonical: string } | null>,
  message: (user: { email: string }, code: string) => EmailMessage,
): void {
  const what = purpose === "password-reset" ? "password reset code" : "sign-in code";
  deps.background(what, async () => {
    const user = await find();
    if (!user) return;
    try {
      const code = await issueOtp(deps, user.id, purpose, user.emailCanonical);
      sendEmail(deps, what, message(user, code));
    } catch (error) {
      if (!(error instanceof AppError && error.code === "RATE_LIMITED")) throw error;
    }
  });
}
