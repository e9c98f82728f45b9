// Password change and account deletion: both re-authenticate with the current password and
// revoke what they must.

import type { UserRow } from "../db/schema.ts";
import type { DeliveryDeps, Deps, SessionStartDeps } from "../deps.ts";
import { addFieldError, type FieldErrors, invalidTokenError, validationError } from "../lib/errors.ts";
import { hashPassword, verifyPassword } from "../lib/password-hash.ts";
import { deleteProfileImage } from "../stores/image-store.ts";
import { breachedPasswordProblem } from "./abuse-guards.ts";
import { sendEmail } from "./delivery.ts";
import { issueDeviceToken, recognizeDevice } from "./known-devices.ts";
import type { SignIn } from "./login-service.ts";
import { passwordChangedEmail } from "./messages.ts";
import { hashOptions, passwordProblems } from "./password-policy.ts";
import { checkCurrentPassword, type SignedIn } from "./reauthentication.ts";
import type { AuditTrail } from "./security-log.ts";
import { endSessionsInRedis, revocationTtlMs, revokeSessionsInRedis } from "./session-service.ts";
import { startSessionAfterChange, type TokenPair } from "./token-pair.ts";

export interface PasswordChange {
  old_password: string;
  password1: string;
  password2: string;
}

/**
 * New hash and tokens_valid_after in one UPDATE; then every session and device token dies, and
 * the caller gets a fresh session and device token so this device stays signed in and known (it
 * keeps its device id when the token it sent was its own).
 */
export async function changePassword(
  deps: DeliveryDeps & SessionStartDeps & Pick<Deps, "breaches" | "lockouts" | "securityLog" | "users">,
  caller: SignedIn,
  input: PasswordChange,
  deviceToken?: string,
): Promise<SignIn<TokenPair>> {
  const userId = caller.userId;
  const { row, valid } = await checkCurrentPassword(deps, caller, input.old_password);
  const deviceId = await recognizeDevice(deps, row, deviceToken);
  if (!valid && (await appliedEarlier(deps, row, input))) {
    // The same change, retried after an answer that did not say it was done (a 503 whose UPDATE
    // committed late, or whose revocation failed): finish it, as the first try would have. The
    // notice goes again: a late commit never sent it (twice is better than never).
    sendEmail(deps, "password changed notice", passwordChangedEmail(deps.config.APP_NAME, row.email, "changed"));
    return finishChange(deps, row, deviceId, row.tokensValidAfter ?? deps.clock.now());
  }
  const errors: FieldErrors = {};
  if (!valid) addFieldError(errors, "old_password", "Your old password was entered incorrectly.");
  if (input.password1 !== input.password2) addFieldError(errors, "password2", "Passwords must match");
  if (input.password1.normalize("NFKC") === input.old_password.normalize("NFKC")) {
    addFieldError(errors, "password1", "New password cannot be the same as the old password.");
  }
  const context = { minLength: deps.config.PASSWORD_MIN_LENGTH, username: row.username, email: row.email };
  for (const problem of passwordProblems(input.password1, context)) addFieldError(errors, "password1", problem);
  if (Object.keys(errors).length > 0) throw validationError(errors);

  const [breached, passwordHash] = await Promise.all([
    breachedPasswordProblem(deps, input.password1),
    hashPassword(input.password1, hashOptions(deps.config)),
  ]);
  if (breached) throw validationError({ password1: [breached] });
  const now = deps.clock.now();
  // A pending app setup started with the old password goes too.
  const changes = { passwordHash, totpPendingSecret: null, tokensValidAfter: now, updatedAt: now };
  if ((await deps.users.update(userId, changes)) === 0) throw invalidTokenError();
  deps.securityLog.record("password_changed", userId);
  sendEmail(deps, "password changed notice", passwordChangedEmail(deps.config.APP_NAME, row.email, "changed"));
  return finishChange(deps, row, deviceId, now);
}

// How long after a password change its retry still completes it.
const RETRY_WINDOW_MS = 60 * 60 * 1000;

/**
 * Whether the current password is already the requested new one, set within the hour: the change
 * this request asks for was applied by an earlier try (checked only after the old password failed,
 * so it costs a second hash only then).
 */
async function appliedEarlier(deps: Pick<Deps, "clock" | "config">, row: UserRow, input: PasswordChange): Promise<boolean> {
  const changedAt = row.tokensValidAfter?.getTime() ?? 0;
  if (input.password1 !== input.password2 || deps.clock.now().getTime() - changedAt > RETRY_WINDOW_MS) return false;
  return (await verifyPassword(input.password1, row.passwordHash, hashOptions(deps.config))).valid;
}

/** Every other session and device token dies; this device gets a fresh pair and device token. */
async function finishChange(
  deps: SessionStartDeps & Pick<Deps, "sessions" | "users">,
  row: UserRow,
  deviceId: string | null,
  changedAt: Date,
): Promise<SignIn<TokenPair>> {
  await revokeSessionsInRedis(deps, row.id, changedAt);
  const [result, deviceToken] = await Promise.all([
    startSessionAfterChange(deps, row.id),
    issueDeviceToken(deps, row.id, deviceId),
  ]);
  return { result, deviceToken };
}

/**
 * Deletion, ordered so a failure at any step leaves the account fully usable or fully gone:
 *  1. Redis: end every session, and with them every access token. Failing here changes nothing
 *     else (503); the account stays usable, only signed out. The user's valid-after stays what
 *     MySQL holds: moved here alone, it would make the login of an account whose DELETE then
 *     failed look like one racing a revocation, and refuse it.
 *  2. MySQL: delete the row (user and profile are one row: atomic). Failing here leaves a
 *     usable, signed-out account. Zero rows: a concurrent delete won; this one is a 401.
 *  3. Redis: the user's remaining state goes and a tombstone kills any session a racing login
 *     created between 1 and 2. Best effort: the account is already gone.
 *  4. The profile image, after the response (an orphaned object holds no account).
 */
export async function deleteAccount(
  deps: Pick<Deps, "background" | "clock" | "config" | "images" | "lockouts" | "log" | "securityLog" | "sessions" | "users">,
  caller: SignedIn,
  password: string,
): Promise<void> {
  const { valid } = await checkCurrentPassword(deps, caller, password);
  if (!valid) throw validationError({ password: ["Incorrect password."] });
  if (!(await removeAccount(deps, caller.userId))) throw invalidTokenError();
}

/** Steps 1 to 4 above; false when the account was gone already. `audit`: an operator deletes it. */
export async function removeAccount(
  deps: Pick<Deps, "background" | "config" | "images" | "log" | "securityLog" | "sessions" | "users">,
  userId: string,
  audit?: AuditTrail,
): Promise<boolean> {
  await endSessionsInRedis(deps, userId);
  if ((await deps.users.delete(userId)) === 0) return false;
  deps.securityLog.record("account_deleted", userId, audit);
  try {
    await deps.sessions.deleteUserState(userId, revocationTtlMs(deps));
  } catch (error) {
    deps.log.error("account_redis_state_left", { reason: "account deleted, its Redis state was not", error });
  }
  const images = deps.images;
  if (images) deps.background("deleting the profile image", () => deleteProfileImage(images, userId));
  else deps.log.warn("profile_image_not_deleted", { reason: "no PROFILE_IMAGES binding" });
  return true;
}
