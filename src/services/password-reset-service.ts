// Password forget -> code -> reset: the mailbox path, which no lockout blocks, so the owner always
// has a way in that a stranger cannot close (docs/lockout.md). Its guessing protection is per
// code (5 wrong tries kill it) and per account (RESET_CODES_PER_HOUR codes sent an hour). Unknown
// and known accounts are indistinguishable: forget always answers the same, and confirm/reset
// fail with the same OTP_INVALID after the same work.
import type { DeliveryDeps, Deps } from "../deps.ts";
import { refuseDisabled } from "../lib/account-status.ts";
import { AppError, addFieldError, type FieldErrors, validationError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import { hashPassword } from "../lib/password-hash.ts";
import { breachedPasswordProblem, nameLock, requireCaptcha } from "./abuse-guards.ts";
import { sendEmail } from "./delivery.ts";
import { codeEmail, passwordChangedEmail, unvouchedIdentitiesRemovedEmail } from "./messages.ts";
import { mailCodeAfterResponse, otpMinutes, spendOtpOn, verifyOtp } from "./otp-service.ts";
import { hashOptions, passwordProblems } from "./password-policy.ts";
import { revokeSessionsInRedis } from "./session-service.ts";

export interface AccountNames {
  email?: string;
  username?: string;
}

/** The account both names point at (when both are given, they must agree), or null. */
async function findAccount(deps: Pick<Deps, "users">, names: AccountNames) {
  const email = names.email === undefined ? undefined : canonicalEmail(names.email);
  const username = names.username === undefined ? undefined : canonicalUsername(names.username);
  const user = await deps.users.findForLogin(email !== undefined ? { email } : { username });
  if (!user) return null;
  if (email !== undefined && user.emailCanonical !== email) return null;
  if (username !== undefined && user.usernameCanonical !== username) return null;
  return user;
}

/**
 * A code works only while the account's address is the one it was sent to: one sent while an
 * email change (since undone) had moved the address resets nothing.
 */
const sentToCurrentAddress = (user: { emailCanonical: string }, target: string) => target === user.emailCanonical;

/**
 * A stand-in subject for names that match no account: its codes never exist, but wrong tries
 * still count and cost the same round trip as for a real account.
 */
function subjectFor(user: { id: string } | null, names: AccountNames): string {
  return user?.id ?? `unknown:${canonicalEmail(names.email ?? "")}:${canonicalUsername(names.username ?? "")}`;
}

/** Returns at once (after the Turnstile check, when on); the lookup, the code and the mail happen after the response. */
export async function forgetPassword(
  deps: DeliveryDeps & Pick<Deps, "captcha" | "client" | "clock" | "otps" | "users">,
  names: AccountNames,
  captchaToken: string | undefined,
): Promise<void> {
  await requireCaptcha(deps, captchaToken);
  mailCodeAfterResponse(
    deps,
    "password-reset",
    () => findAccount(deps, names),
    (user, code) => codeEmail(deps.config.APP_NAME, "password-reset", user.email, code, otpMinutes(deps)),
  );
}

/** Checks the code (the try counts) without using it up, and hands out a single-use reset token. */
export async function confirmResetCode(
  deps: Pick<Deps, "clock" | "config" | "otps" | "securityLog" | "users">,
  names: AccountNames,
  otp: string,
): Promise<string> {
  const user = await findAccount(deps, names);
  const { resetToken, target } = await verifyOtp(deps, {
    subject: subjectFor(user, names),
    purpose: "password-reset",
    secret: otp,
    mode: "issue-token",
    userId: user?.id,
    lock: null,
  });
  if (!user || !resetToken || !sentToCurrentAddress(user, target)) throw new AppError("OTP_INVALID");
  return resetToken;
}

export interface ResetInput extends AccountNames {
  otp?: string;
  reset_token?: string;
  password1: string;
  password2: string;
}

/** Sets the password, uses up the code and token, and revokes every session. Signs no one in. */
export async function resetPassword(
  deps: DeliveryDeps & Pick<Deps, "breaches" | "clock" | "identities" | "log" | "otps" | "securityLog" | "sessions" | "users">,
  input: ResetInput,
): Promise<void> {
  const user = await findAccount(deps, input);
  const errors: FieldErrors = {};
  if (input.password1 !== input.password2) addFieldError(errors, "password2", "Passwords must match");
  const context = {
    minLength: deps.config.PASSWORD_MIN_LENGTH,
    username: user?.username ?? input.username,
    email: user?.email ?? input.email,
  };
  for (const problem of passwordProblems(input.password1, context)) addFieldError(errors, "password1", problem);
  if (Object.keys(errors).length === 0) {
    // Before the code is used up, so a breached choice can be replaced with the same code.
    const breached = await breachedPasswordProblem(deps, input.password1);
    if (breached) addFieldError(errors, "password1", breached);
  }
  if (Object.keys(errors).length > 0) throw validationError(errors);

  const secret = input.reset_token ?? input.otp ?? "";
  const mode = input.reset_token !== undefined ? "consume-token" : "consume";
  const check = {
    subject: subjectFor(user, input),
    purpose: "password-reset",
    secret,
    mode,
    userId: user?.id,
    lock: null,
  } as const;
  // Setting the same password and revoking again are harmless: a 503 gives the code back for the retry.
  let unvouchedRemoved = 0;
  const account = await spendOtpOn(deps, check, async (target) => {
    if (!user || !sentToCurrentAddress(user, target)) throw new AppError("OTP_INVALID");
    refuseDisabled(user, deps.clock.now());
    const now = deps.clock.now();
    const passwordHash = await hashPassword(input.password1, hashOptions(deps.config));
    const changes = { passwordHash, totpPendingSecret: null, tokensValidAfter: now, updatedAt: now };
    if ((await deps.users.update(user.id, changes)) === 0) throw new AppError("OTP_INVALID");
    // The mailbox is proven: a sign-in whose provider never vouched for this address may be a
    // stranger's who registered it first (see oauth-accounts.ts), and goes.
    unvouchedRemoved = await deps.identities.removeUnvouched(user.id);
    // The owner proved control of the email and the password changed: the guesses counted against
    // the account's names were guesses at the old password, and the second-factor answers were
    // made by whoever held it; neither counts any more.
    const names = await Promise.all([nameLock(deps, user.usernameCanonical), nameLock(deps, user.emailCanonical)]);
    const liftLockouts = [...names, { scope: "mfa" as const, subject: user.id }];
    await revokeSessionsInRedis(deps, user.id, now, { liftLockouts });
    return user;
  });
  deps.securityLog.record("password_reset", account.id);
  if (unvouchedRemoved > 0) {
    deps.securityLog.record("identity_unlinked", account.id);
    sendEmail(
      deps,
      "unvouched sign-ins removed notice",
      unvouchedIdentitiesRemovedEmail(deps.config.APP_NAME, account.email, unvouchedRemoved),
    );
  }
  sendEmail(deps, "password reset notice", passwordChangedEmail(deps.config.APP_NAME, account.email, "reset"));
}
