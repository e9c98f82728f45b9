// Email sign-in codes: a 6-digit code by mail signs in without a password (PASSWORDLESS_EMAIL=on).
// Built on the one-time code service (hashed, 5 tries per code, 60 s resend cooldown, at most 5
// codes per account an hour) and on the mailbox path's rules: the request answers the same
// whether or not an account matched, and nobody can lock the owner out of it (no lockout; the
// caps bound guessing: 25 tries an hour against a million codes). A code is one factor: with
// two-factor authentication on, the answer is mfa_required, as after a password.
import type { DeliveryDeps, Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";
import { canonicalEmail } from "../lib/identifiers.ts";
import { parseMethods } from "../lib/two-factor.ts";
import { requireCaptcha } from "./abuse-guards.ts";
import { sendEmail } from "./delivery.ts";
import { codeEmail } from "./messages.ts";
import { issueOtp, otpMinutes, verifyOtp } from "./otp-service.ts";
import { prepareChallenge, type SecondFactorRequired } from "./second-factor.ts";
import { startSession, type TokenPair } from "./token-pair.ts";

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
  deps.background("sign-in code", async () => {
    const user = await deps.users.findForLogin({ email: canonicalEmail(email) });
    if (!user) return;
    try {
      const code = await issueOtp(deps, user.id, "sign-in", user.emailCanonical);
      const link = signInLink(deps, user.email, code);
      sendEmail(deps, "sign-in code", codeEmail(deps.config.APP_NAME, "sign-in", user.email, code, otpMinutes(deps), link));
    } catch (error) {
      // Inside the cooldown or over the hourly cap nothing is sent; the answer was the same anyway.
      if (!(error instanceof AppError && error.code === "RATE_LIMITED")) throw error;
    }
  });
}

/** The code for the account's current address signs in; an unknown address fails the same way after the same work. */
export async function signInWithCode(
  deps: Pick<Deps, "client" | "clock" | "config" | "ids" | "mfa" | "otps" | "securityLog" | "sessions" | "tokens" | "users">,
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
  if (!user || target !== user.emailCanonical) throw new AppError("OTP_INVALID");
  if (parseMethods(user.twoFactorMethods).length > 0) {
    // The mailbox was the first factor: an emailed code cannot be the second one too.
    const challenge = await prepareChallenge(deps, user, null, "email");
    await deps.mfa.open(challenge.stored);
    return challenge.answer;
  }
  const tokens = await startSession(deps, user);
  deps.securityLog.record("login_succeeded", user.id);
  return tokens;
}
