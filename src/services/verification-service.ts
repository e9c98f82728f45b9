// Email and phone verification by one-time code. Confirming persists the verified flag (the
// original never did) in one Redis script plus one MySQL write.
import type { DeliveryDeps, Deps } from "../deps.ts";
import type { UncheckedAccess } from "../lib/access.ts";
import { invalidTokenError, validationError } from "../lib/errors.ts";
import { canonicalEmail } from "../lib/identifiers.ts";
import { sendEmail, sendSms } from "./delivery.ts";
import { codeEmail, codeSms } from "./messages.ts";
import { issueOtp, otpMinutes, spendOtpOn } from "./otp-service.ts";

export type Channel = "email" | "phone";

/** "sent", or "already-verified" (nothing is sent then). */
export async function startVerification(
  deps: DeliveryDeps & Pick<Deps, "clock" | "otps" | "users">,
  userId: string,
  channel: Channel,
): Promise<"sent" | "already-verified"> {
  const user = await deps.users.findById(userId);
  if (!user) throw invalidTokenError();
  const app = deps.config.APP_NAME;
  if (channel === "email") {
    if (user.isEmailVerified) return "already-verified";
    const code = await issueOtp(deps, user.id, "email-verify", user.emailCanonical);
    sendEmail(deps, "verification", codeEmail(app, "email-verify", user.email, code, otpMinutes(deps)));
    return "sent";
  }
  if (!user.phoneNumber) throw validationError({ phone_number: ["Add a phone number to your profile first."] });
  if (user.isPhoneNumberVerified) return "already-verified";
  const code = await issueOtp(deps, user.id, "phone-verify", user.phoneNumber);
  sendSms(deps, "verification", user.phoneNumber, codeSms(app, code, otpMinutes(deps)));
  return "sent";
}

export async function confirmVerification(
  deps: Pick<Deps, "clock" | "config" | "log" | "otps" | "securityLog" | "users">,
  auth: UncheckedAccess,
  channel: Channel,
  otp: string,
): Promise<void> {
  const purpose = channel === "email" ? "email-verify" : "phone-verify";
  const check = { subject: auth.sub, purpose, secret: otp, mode: "consume", access: auth, userId: auth.sub } as const;
  // Marking twice is harmless, so a 503 here gives the code back and the retry completes.
  const marked = await spendOtpOn(deps, check, (target) =>
    deps.users.markVerified(auth.sub, channel, channel === "email" ? canonicalEmail(target) : target, deps.clock.now()),
  );
  // Zero rows: the address or number changed since the code was sent (or the user is gone).
  if (marked === 0)
    throw validationError({ otp: ["This code was sent to an address or number that is no longer on the account."] });
  deps.securityLog.record(channel === "email" ? "email_verified" : "phone_verified", auth.sub);
}
