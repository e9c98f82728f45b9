// Two-factor settings of a signed-in user: enrol an authenticator app (setup, then confirm with a
// first code), turn 2FA off, make new recovery codes. Turning it on or off and new codes revoke
// every session (the caller gets a fresh pair so this device stays signed in) and mail a notice.
import type { UserRow } from "../db/schema.ts";
import type { DeliveryDeps, Deps, SessionStartDeps } from "../deps.ts";
import { AppError, invalidTokenError, validationError } from "../lib/errors.ts";
import { newRecoveryCodes } from "../lib/recovery-codes.ts";
import { newTotpSecret, totpUri, verifyTotp } from "../lib/totp.ts";
import { formatMethods, parseMethods, type TwoFactorMethod } from "../lib/two-factor.ts";
import { sendEmail } from "./delivery.ts";
import { twoFactorChangedEmail } from "./messages.ts";
import { verifyOtp } from "./otp-service.ts";
import { checkCurrentPassword, countSessionCheck, type SignedIn, sessionCodeLock } from "./reauthentication.ts";
import { usableMethods } from "./second-factor.ts";
import { acceptTotp, openSealedSecret, recoveryDigests, secretBox, spendRecoveryCode } from "./second-factor-proofs.ts";
import type { SecurityEvent } from "./security-log.ts";
import { revokeSessionsInRedis } from "./session-service.ts";
import { startSessionAfterChange, type TokenPair } from "./token-pair.ts";

export type SettingsDeps = DeliveryDeps & SessionStartDeps & Pick<Deps, "lockouts" | "otps" | "securityLog" | "users">;

export type SecondFactorProof = { code: string } | { recoveryCode: string };

export const WRONG_PASSWORD = "Your password was entered incorrectly.";

export function requireOffered(deps: Pick<Deps, "config">, method: TwoFactorMethod): void {
  if (!deps.config.TWO_FACTOR_METHODS.includes(method)) {
    throw validationError({ method: [`This service does not offer ${method} as a second factor.`] });
  }
}

export async function currentUser(deps: Pick<Deps, "users">, userId: string): Promise<UserRow> {
  const row = await deps.users.findById(userId);
  if (!row) throw invalidTokenError();
  return row;
}

/** A code check of the signed-in user counts toward their session's lockout (429 while it runs). */
async function countCodeCheck(
  deps: Pick<Deps, "clock" | "config" | "lockouts" | "securityLog">,
  caller: SignedIn,
  valid: boolean,
) {
  await countSessionCheck(deps, caller, valid, sessionCodeLock(caller));
  if (!valid) {
    deps.securityLog.record("two_factor_failed", caller.userId);
    throw new AppError("OTP_INVALID");
  }
}

/** Every session dies (MySQL's tokens_valid_after was moved by the caller); this device gets a new one. */
export async function signOutEverywhereElse(
  deps: SettingsDeps,
  row: UserRow,
  now: Date,
  event: SecurityEvent,
  change: Parameters<typeof twoFactorChangedEmail>[2],
): Promise<TokenPair> {
  await revokeSessionsInRedis(deps, row.id, now);
  deps.securityLog.record(event, row.id);
  sendEmail(deps, "two-factor notice", twoFactorChangedEmail(deps.config.APP_NAME, row.email, change));
  return startSessionAfterChange(deps, row.id);
}

/** Step 1: a new secret, kept sealed as pending; nothing is enabled until a code confirms it. */
export async function setUpAuthenticator(deps: SettingsDeps, caller: SignedIn, password: string, proof?: SecondFactorProof) {
  requireOffered(deps, "totp");
  const { row, valid } = await checkCurrentPassword(deps, caller, password);
  if (!valid) throw validationError({ password: [WRONG_PASSWORD] });
  if (parseMethods(row.twoFactorMethods).includes("totp")) {
    throw validationError({
      non_field_errors: ["An authenticator app is already enabled; disable two-factor authentication first."],
    });
  }
  // With SMS or email already on, adding an app takes one of them (else a thief adds their own app).
  await requireSecondFactorWhenOn(deps, caller, row, proof);
  // The QR encoder is loaded here, by the rare request that needs it, not when an isolate starts
  // (and before the write, so a failed load leaves nothing behind).
  const { renderSVG } = await import("uqr");
  const secret = newTotpSecret();
  const sealed = await secretBox(deps.config).seal(secret, row.id);
  await deps.users.update(row.id, { totpPendingSecret: sealed, updatedAt: deps.clock.now() });
  const uri = totpUri(secret, deps.config.APP_NAME, row.email);
  return { secret, otpauth_uri: uri, qr_svg: `data:image/svg+xml;base64,${btoa(renderSVG(uri))}` };
}

/** Step 2: the first code from the app turns TOTP on; 10 recovery codes, shown this once. */
export async function confirmAuthenticator(deps: SettingsDeps, caller: SignedIn, code: string) {
  const row = await currentUser(deps, caller.userId);
  const pending = row.totpPendingSecret;
  if (!pending)
    throw validationError({ non_field_errors: ["No authenticator setup is pending; start with /auth/secure/2fa/setup/."] });
  const now = deps.clock.now();
  const opened = await openSealedSecret(deps, row.id, pending, "totp_pending_secret");
  if (!opened)
    throw validationError({
      non_field_errors: ["The pending setup can no longer be read; start again with /auth/secure/2fa/setup/."],
    });
  const step = verifyTotp(opened.plain, code, now.getTime());
  await countCodeCheck(deps, caller, step !== null);
  const codes = newRecoveryCodes();
  const enabled = await deps.users.updateTwoFactorIf(
    row.id,
    { totpPendingSecret: pending, twoFactorMethods: row.twoFactorMethods },
    {
      totpSecret: pending,
      totpPendingSecret: null,
      totpLastStep: step ?? 0,
      twoFactorMethods: formatMethods([...parseMethods(row.twoFactorMethods), "totp"]),
      recoveryCodes: await recoveryDigests(codes),
      tokensValidAfter: now,
      updatedAt: now,
    },
  );
  if (!enabled) throw validationError({ non_field_errors: ["The setup changed meanwhile; start again."] });
  const tokens = await signOutEverywhereElse(deps, row, now, "two_factor_enabled", "enabled");
  return { recovery_codes: codes, tokens };
}

/** Password and a second factor (a TOTP code or a recovery code, which is spent). */
async function reauthenticateBoth(deps: SettingsDeps, caller: SignedIn, password: string, proof: SecondFactorProof) {
  const { row, valid } = await checkCurrentPassword(deps, caller, password);
  if (!valid) throw validationError({ password: [WRONG_PASSWORD] });
  if (parseMethods(row.twoFactorMethods).length === 0) {
    throw validationError({ non_field_errors: ["Two-factor authentication is not enabled."] });
  }
  return proveSecondFactor(deps, caller, row, proof);
}

export const SECOND_FACTOR_NEEDED =
  "Two-factor authentication is on: give a code (app, or one sent by /auth/secure/2fa/code/) or a recovery_code too.";

/**
 * What could otherwise downgrade 2FA with a stolen session and the password alone (an email change,
 * another second factor, one removed) needs a current second factor while 2FA is on. Call it after
 * the request's other checks: a recovery code given here is spent.
 */
export async function requireSecondFactorWhenOn(
  deps: SettingsDeps,
  caller: SignedIn,
  row: UserRow,
  proof: SecondFactorProof | undefined,
): Promise<void> {
  if (parseMethods(row.twoFactorMethods).length === 0) return;
  if (!proof) throw validationError({ non_field_errors: [SECOND_FACTOR_NEEDED] });
  await proveSecondFactor(deps, caller, row, proof);
}

/** A TOTP code, a code sent by SMS or email, or a recovery code (spent), counted toward the session's lockout. */
async function proveSecondFactor(deps: SettingsDeps, caller: SignedIn, row: UserRow, proof: SecondFactorProof) {
  const methods = parseMethods(row.twoFactorMethods);
  if ("recoveryCode" in proof) {
    await countCodeCheck(deps, caller, await spendRecoveryCode(deps, row.id, row.recoveryCodes, proof.recoveryCode));
  } else if (methods.includes("totp") && (await acceptTotp(deps, row.id, row.totpSecret ?? "", proof.code))) {
    await countCodeCheck(deps, caller, true);
  } else if (methods.includes("sms") || methods.includes("email")) {
    // A code sent by POST /auth/secure/2fa/code/: the OTP service checks it and counts failures.
    const { target } = await verifyOtp(deps, {
      subject: row.id,
      purpose: "two-factor",
      secret: proof.code,
      mode: "consume",
      userId: row.id,
      lock: sessionCodeLock(caller),
    });
    // Only a code sent to a number or address the account can still use counts.
    const usable = usableMethods(deps, row);
    const targets = [usable.includes("sms") ? row.phoneNumber : null, usable.includes("email") ? row.email : null];
    if (!targets.includes(target)) throw new AppError("OTP_INVALID");
  } else {
    await countCodeCheck(deps, caller, false);
  }
  return row;
}

export async function disableTwoFactor(deps: SettingsDeps, caller: SignedIn, password: string, proof: SecondFactorProof) {
  const row = await reauthenticateBoth(deps, caller, password, proof);
  const now = deps.clock.now();
  const off = { twoFactorMethods: "", totpSecret: null, totpPendingSecret: null, recoveryCodes: null };
  if ((await deps.users.update(row.id, { ...off, tokensValidAfter: now, updatedAt: now })) === 0) throw invalidTokenError();
  return { tokens: await signOutEverywhereElse(deps, row, now, "two_factor_disabled", "disabled") };
}

export async function regenerateRecoveryCodes(deps: SettingsDeps, caller: SignedIn, password: string, proof: SecondFactorProof) {
  const row = await reauthenticateBoth(deps, caller, password, proof);
  const now = deps.clock.now();
  const codes = newRecoveryCodes();
  const changes = { recoveryCodes: await recoveryDigests(codes), tokensValidAfter: now, updatedAt: now };
  if ((await deps.users.update(row.id, changes)) === 0) throw invalidTokenError();
  const tokens = await signOutEverywhereElse(deps, row, now, "recovery_codes_regenerated", "recovery codes");
  return { recovery_codes: codes, tokens };
}
