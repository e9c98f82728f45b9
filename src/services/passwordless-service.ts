// Email sign-in codes: a 6-digit code by mail signs in without a password (PASSWORDLESS_EMAIL=on).
// Built on the one-time code service (hashed, 5 tries per code, 60 s resend cooldown, at most 5
// codes per account an hour) and on the mailbox path's rules: the request answers the same
// whether or not an account matched, and nobody can lock the owner out of it (no lockout; the
// caps bound guessing: 25 tries an hour against a million codes). A code is one factor: with
// two-factor authentication on, the answer is mfa_required, as after a password.

import type { DeliveryDeps, Deps } from "../deps.ts";
import { refuseDisabled } from "../lib/account-status.ts";
import { AppError, validationError } from "../lib/errors.ts";
import { canonicalEmail } from "../lib/identifiers.ts";
import { parseMethods } from "../lib/two-factor.ts";
import { requireCaptcha } from "./abuse-guards.ts";
import { codeEmail } from "./messages.ts";
import { recordSignIn, type SignInRecordDeps } from "./new-device.ts";
import { mailCodeAfterResponse, otpMinutes, verifyOtp } from "./otp-service.ts";
import { prepareChallenge, type SecondFactorRequired } from "./second-factor.ts";
import { openSession, type TokenPair } from "./token-pair.ts";

/** The link that fills the code in, when PASSWORDLESS_LINK_URL is set: in the fragment, which no server sees. */
function signInLink(deps: Pick<Deps, "config">, email: string, code: string): string | undefined {
  const base = deps.config.PASSWORDLESS_LINK_URL;
  if (!base) return undefined;
  const url = new URL(base);
  url.hash = new URLSearchParams({ email, code }).toString();
  return url.toString();
}

/** Answers at once (after the Turnstile check, when on); the lookup, the code and the mail happen after the response. */
export async function sendSignInCode(
  deps: DeliveryDeps & Pick<Deps, "captcha" | "client" | "clock" | "otps" | "users">,
  email: string,
  captchaToken: string | undefined,
): Promise<void> {
  await requireCaptcha(deps, captchaToken);
  mailCodeAfterResponse(
    deps,
    "sign-in",
    // Only to a verified address: someone who signed up first with another's address (and a
    // password of their own) must not share the account with its real owner.
    async () => {
      const user = await deps.users.findForLogin({ email: canonicalEmail(email) });
      return user?.isEmailVerified ? user : null;
    },
    (user, code) =>
      codeEmail(deps.config.APP_NAME, "sign-in", user.email, code, otpMinutes(deps), signInLink(deps, user.email, code)),
  );
}

/** The code for the account's current address signs in; an unknown address fails the same way after the same work. */
export async function signInWithCode(
  deps: SignInRecordDeps &
    Pick<Deps, "client" | "clock" | "config" | "ids" | "mfa" | "otps" | "securityLog" | "sessions" | "tokens" | "users">,
  email: string,
  code: string,
): Promise<TokenPair | SecondFactorRequired> {
  const address = canonicalEmail(email);
  const user = await deps.users.findForLogin({ email: address });
  const { target } = await verifyOtp(deps, {
    subject: user?.id ?? `unknown:${address}`,
    purpose: "sign-in",
    secret: code,
    mode: "consume",
    userId: user?.id,
    lock: null,
  });
  if (!user?.isEmailVerified || target !== user.emailCanonical) throw new AppError("OTP_INVALID");
  refuseDisabled(user, deps.clock.now());
  if (parseMethods(user.twoFactorMethods).length > 0) {
    // The mailbox was the first factor: an emailed code cannot be the second one too.
    const challenge = await prepareChallenge(deps, user, null, "email");
    if (challenge.answer.methods.length === 0)
      throw validationError({ code: ["This account's only second factor is its email: sign in with the password."] });
    await deps.mfa.open(challenge.stored);
    return challenge.answer;
  }
  const { tokens, newDevice } = await openSession(deps, user);
  recordSignIn(deps, user, newDevice);
  return tokens;
}
