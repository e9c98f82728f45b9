// Changing the account's email: a code goes to the new address; confirming applies it (the
// unique index re-checks availability at that moment), marks it verified and tells the old one.
import type { DeliveryDeps, Deps } from "../deps.ts";
import type { UncheckedAccess } from "../lib/access.ts";
import { invalidTokenError, validationError } from "../lib/errors.ts";
import { canonicalEmail } from "../lib/identifiers.ts";
import { sendEmail } from "./delivery.ts";
import { codeEmail, emailChangedEmail } from "./messages.ts";
import { issueOtp, otpMinutes, verifyOtp } from "./otp-service.ts";
import { checkCurrentPassword, type SignedIn } from "./reauthentication.ts";

const TAKEN = "This email is already registered.";

export async function requestEmailChange(
  deps: DeliveryDeps & Pick<Deps, "clock" | "lockouts" | "otps" | "securityLog" | "users">,
  caller: SignedIn,
  newEmail: string,
  password: string,
): Promise<void> {
  const { row: user, valid } = await checkCurrentPassword(deps, caller, password);
  if (!valid) throw validationError({ password: ["Incorrect password."] });
  const canonical = canonicalEmail(newEmail);
  if (canonical === user.emailCanonical) throw validationError({ new_email: ["This is already the account's email address."] });
  if ((await deps.users.findTakenIdentifiers("", canonical)).email) throw validationError({ new_email: [TAKEN] });
  const code = await issueOtp(deps, user.id, "email-change", newEmail);
  sendEmail(deps, "email change code", codeEmail(deps.config.APP_NAME, "email-change", newEmail, code, otpMinutes(deps)));
}

export async function confirmEmailChange(
  deps: DeliveryDeps & Pick<Deps, "clock" | "otps" | "securityLog" | "sessions" | "users">,
  auth: UncheckedAccess,
  otp: string,
): Promise<string> {
  const user = await deps.users.findById(auth.sub);
  if (!user) throw invalidTokenError();
  const { target: newEmail } = await verifyOtp(deps, {
    subject: auth.sub,
    purpose: "email-change",
    secret: otp,
    mode: "consume",
    access: auth,
    userId: auth.sub,
  });
  const result = await deps.users.changeEmail(auth.sub, newEmail, canonicalEmail(newEmail), deps.clock.now());
  if (result === "gone") throw invalidTokenError();
  if (result === "taken") throw validationError({ new_email: [TAKEN] });
  // Sessions mint access tokens carrying the email: they should carry the new one from now on.
  await deps.sessions
    .updateEmails(auth.sub, newEmail)
    .catch((error: unknown) =>
      deps.log.error("session_emails_not_updated", { reason: "email changed, sessions still carry the old one", error }),
    );
  deps.securityLog.record("email_changed", auth.sub);
  sendEmail(deps, "email changed notice", emailChangedEmail(deps.config.APP_NAME, user.email, newEmail));
  return newEmail;
}
