// SMS and email as second factors: turning them on or off, and sending a code to a signed-in
// user for the settings that need a proof (disable, new recovery codes).
import { validationError } from "../lib/errors.ts";
import { newRecoveryCodes } from "../lib/recovery-codes.ts";
import { formatMethods, parseMethods } from "../lib/two-factor.ts";
import { checkCurrentPassword, type SignedIn } from "./reauthentication.ts";
import { usableMethods } from "./second-factor.ts";
import { recoveryDigests, sendTwoFactorCode } from "./second-factor-proofs.ts";
import {
  currentUser,
  requireOffered,
  requireSecondFactorWhenOn,
  type SecondFactorProof,
  type SettingsDeps,
  signOutEverywhereElse,
  WRONG_PASSWORD,
} from "./two-factor-service.ts";

/** A code by SMS or email for a signed-in user's proof (disable, new recovery codes). */
export async function sendSettingsCode(deps: SettingsDeps, userId: string, method: "sms" | "email") {
  const row = await currentUser(deps, userId);
  if (!usableMethods(deps, row).includes(method)) {
    throw validationError({ method: [`${method} is not a usable second factor of this account.`] });
  }
  await sendTwoFactorCode(deps, row.id, method, method === "sms" ? (row.phoneNumber ?? "") : row.email);
}

/**
 * SMS or email as a second factor, on or off (password required; while 2FA is on, a current second
 * factor too, so a stolen session and password cannot add the thief's own). The first method turns
 * 2FA on and issues recovery codes. The last method cannot be removed here: turning 2FA off takes a code
 * too (/auth/secure/2fa/disable/). The write is conditional on the methods read, so two changes
 * racing cannot lose one (the loser is told to try again).
 */
export async function setCodeMethod(
  deps: SettingsDeps,
  caller: SignedIn,
  password: string,
  method: "sms" | "email",
  enabled: boolean,
  proof?: SecondFactorProof,
) {
  if (enabled) requireOffered(deps, method);
  const { row, valid } = await checkCurrentPassword(deps, caller, password);
  if (!valid) throw validationError({ password: [WRONG_PASSWORD] });
  const current = parseMethods(row.twoFactorMethods);
  if (current.includes(method) === enabled) {
    throw validationError({ method: [`${method} is already ${enabled ? "on" : "off"}.`] });
  }
  if (enabled && method === "sms" && !(row.isPhoneNumberVerified && row.phoneNumber)) {
    throw validationError({ method: ["Verify a phone number first (/auth/verify/phone/)."] });
  }
  if (enabled && method === "email" && !row.isEmailVerified) {
    throw validationError({ method: ["Verify your email address first (/auth/verify/email/)."] });
  }
  const next = enabled ? [...current, method] : current.filter((candidate) => candidate !== method);
  if (next.length === 0) {
    throw validationError({
      method: [
        "This is the last second factor: turn two-factor authentication off with /auth/secure/2fa/disable/ (password and a code).",
      ],
    });
  }
  await requireSecondFactorWhenOn(deps, caller, row, proof);
  const now = deps.clock.now();
  const codes = current.length === 0 ? newRecoveryCodes() : undefined;
  const changes = {
    twoFactorMethods: formatMethods(next),
    // A pending app setup made under the old settings cannot be confirmed without a proof now.
    totpPendingSecret: null,
    ...(codes ? { recoveryCodes: await recoveryDigests(codes) } : {}),
    tokensValidAfter: now,
    updatedAt: now,
  };
  if (!(await deps.users.updateTwoFactorIf(row.id, { twoFactorMethods: row.twoFactorMethods }, changes))) {
    throw validationError({ non_field_errors: ["Two-factor settings changed meanwhile; try again."] });
  }
  const [event, change] =
    current.length === 0 ? (["two_factor_enabled", "enabled"] as const) : (["two_factor_methods_changed", "methods"] as const);
  const tokens = await signOutEverywhereElse(deps, row, now, event, change);
  return { methods: parseMethods(changes.twoFactorMethods), recovery_codes: codes ?? null, tokens };
}
