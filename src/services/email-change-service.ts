// Changing the account's email: a code goes to the new address; confirming applies it (the
// unique index re-checks availability at that moment), marks it verified and tells the old one,
// with a token that undoes the change for 7 days: whoever controls the old address can take the
// account back from someone who changed it with a stolen session.
import { base64url } from "jose";
import type { DeliveryDeps, Deps } from "../deps.ts";
import type { UncheckedAccess } from "../lib/access.ts";
import { invalidTokenError, validationError } from "../lib/errors.ts";
import { canonicalEmail } from "../lib/identifiers.ts";
import { otpDigest } from "../lib/otp.ts";
import { sendEmail } from "./delivery.ts";
import { codeEmail, emailChangedEmail, emailChangeUndoneEmail } from "./messages.ts";
import { issueOtp, otpMinutes, verifyOtp } from "./otp-service.ts";
import { checkCurrentPassword, type SignedIn } from "./reauthentication.ts";
import { revokeEverySession } from "./session-service.ts";
import { requireSecondFactorWhenOn, type SecondFactorProof, type SettingsDeps } from "./two-factor-service.ts";

const TAKEN = "This email is already registered.";

/**
 * A code to the new address. Password required; while 2FA is on, a current second factor too: the
 * email is where reset codes and emailed sign-in codes go, so changing it with a stolen session and
 * the password alone would downgrade 2FA.
 */
export async function requestEmailChange(
  deps: SettingsDeps,
  caller: SignedIn,
  newEmail: string,
  password: string,
  proof?: SecondFactorProof,
): Promise<void> {
  const { row: user, valid } = await checkCurrentPassword(deps, caller, password);
  if (!valid) throw validationError({ password: ["Incorrect password."] });
  const canonical = canonicalEmail(newEmail);
  if (canonical === user.emailCanonical) throw validationError({ new_email: ["This is already the account's email address."] });
  const [taken, held] = await Promise.all([
    deps.users.findTakenIdentifiers("", canonical),
    heldForAnother(deps, canonical, user.id),
  ]);
  if (taken.email || held) throw validationError({ new_email: [TAKEN] });
  await requireSecondFactorWhenOn(deps, caller, user, proof);
  const code = await issueOtp(deps, user.id, "email-change", newEmail);
  sendEmail(deps, "email change code", codeEmail(deps.config.APP_NAME, "email-change", newEmail, code, otpMinutes(deps)));
}

const UNDO_DAYS = 7;
// Keyed with the signing key's secret part: Redis holds digests of undo tokens and held addresses.
const undoSecret = (deps: Pick<Deps, "config">) => `email-undo:${deps.config.JWT_PRIVATE_KEY.d}`;
const undoDigest = (deps: Pick<Deps, "config">, userId: string, token: string) =>
  otpDigest(undoSecret(deps), "email-undo", userId, token);
const holdDigest = (deps: Pick<Deps, "config">, canonical: string) => otpDigest(undoSecret(deps), "email-hold", "", canonical);

/**
 * Whether an address is held for another account: an email change's undo may give it back to that
 * account, so no one else may sign up with it or move to it meanwhile (7 days).
 */
export async function heldForAnother(
  deps: Pick<Deps, "config" | "otps">,
  canonical: string,
  userId: string | undefined,
): Promise<boolean> {
  const holder = await deps.otps.emailHolder(await holdDigest(deps, canonical));
  return holder !== null && holder !== userId;
}

/**
 * The undo of a change, for the old address: only when that address was verified (else whoever
 * holds an unverified or mistyped address could take the account), and only when no undo is
 * pending (a second change within the days keeps the owner's first way back). A token, or null.
 */
async function offerUndo(
  deps: Pick<Deps, "config" | "log" | "otps">,
  user: { id: string; email: string; isEmailVerified: boolean },
  newEmail: string,
): Promise<string | null> {
  if (!user.isEmailVerified) return null;
  const token = `${user.id}.${base64url.encode(crypto.getRandomValues(new Uint8Array(32)))}`;
  const undo = {
    digest: await undoDigest(deps, user.id, token),
    oldEmail: user.email,
    newEmail,
    oldAddressDigest: await holdDigest(deps, canonicalEmail(user.email)),
  };
  try {
    return (await deps.otps.keepEmailUndo(user.id, undo, UNDO_DAYS * 24 * 3600 * 1000)) ? token : null;
  } catch (error) {
    // The change is made: the notice still goes, without an undo.
    deps.log.error("email_undo_not_kept", { error });
    return null;
  }
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
  // Held since the code was sent (another account's change freed it and may take it back)?
  if (await heldForAnother(deps, canonicalEmail(newEmail), auth.sub)) throw validationError({ new_email: [TAKEN] });
  const result = await deps.users.changeEmail(auth.sub, newEmail, canonicalEmail(newEmail), deps.clock.now());
  if (result === "gone") throw invalidTokenError();
  if (result === "taken") throw validationError({ new_email: [TAKEN] });
  // Sessions mint access tokens carrying the email: they should carry the new one from now on.
  await deps.sessions
    .updateEmails(auth.sub, newEmail)
    .catch((error: unknown) =>
      deps.log.error("session_emails_not_updated", { reason: "email changed, sessions still carry the old one", error }),
    );
  const undoToken = await offerUndo(deps, user, newEmail);
  deps.securityLog.record("email_changed", auth.sub);
  sendEmail(
    deps,
    "email changed notice",
    emailChangedEmail(deps.config.APP_NAME, user.email, newEmail, undoToken ? { token: undoToken, days: UNDO_DAYS } : undefined),
  );
  return newEmail;
}

const UNDO_INVALID = "This undo token is invalid, used or expired.";

/**
 * Undoes an email change with the token mailed to the old address: that address comes back
 * (verified), and every session and token dies, as after a password reset: whoever made the change
 * is signed out. Works once, for 7 days; the account's next steps are the owner's (reset the
 * password, check the second factors).
 */
export async function undoEmailChange(
  deps: DeliveryDeps & Pick<Deps, "clock" | "config" | "otps" | "securityLog" | "sessions" | "users">,
  token: string,
): Promise<string> {
  const userId = token.split(".")[0] ?? "";
  if (!/^[0-9a-f-]{36}$/.test(userId)) throw validationError({ token: [UNDO_INVALID] });
  const digest = await undoDigest(deps, userId, token);
  const undo = await deps.otps.readEmailUndo(userId, digest, "peek");
  if (!undo) throw validationError({ token: [UNDO_INVALID] });
  const now = deps.clock.now();
  const result = await deps.users.changeEmail(userId, undo.oldEmail, canonicalEmail(undo.oldEmail), now);
  if (result === "gone") throw validationError({ token: [UNDO_INVALID] });
  // Whoever made the change is signed out in any case.
  await revokeEverySession(deps, userId);
  if (result === "taken") {
    throw validationError({
      token: [`${undo.oldEmail} now belongs to another account; every session of this one was signed out. Contact support.`],
    });
  }
  await deps.otps.readEmailUndo(userId, digest, "take");
  deps.securityLog.record("email_change_undone", userId);
  sendEmail(deps, "email change undone notice", emailChangeUndoneEmail(deps.config.APP_NAME, undo.oldEmail));
  return undo.oldEmail;
}
