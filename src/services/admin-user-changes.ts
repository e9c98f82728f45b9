// What operators change on accounts (the admin API): create one without a password (its owner
// sets one with a mailed code), change names, address, verification, phone or role, reset a lost
// second factor, delete. Each is a security event naming its actor.
import type { NewUserRow, UserRow } from "../db/schema.ts";
import type { DeliveryDeps, Deps } from "../deps.ts";
import { AppError, type FieldErrors, validationError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import type { Role } from "../lib/tokens.ts";
import { removeAccount } from "./account-service.ts";
import { changeableUser } from "./admin-user-service.ts";
import { type AdminActor, actedByAdmin } from "./api-key-service.ts";
import { sendEmail } from "./delivery.ts";
import { heldForAnother } from "./email-change-service.ts";
import { accountCreatedEmail, twoFactorResetEmail } from "./messages.ts";
import { mailCodeAfterResponse, otpMinutes } from "./otp-service.ts";
import { contactColumns, resolveContact } from "./profile-rules.ts";
import { changeRole } from "./role-service.ts";
import { revokeSessionsInRedis } from "./session-service.ts";
import { NEW_USER_DEFAULTS, REFERRAL_ID_LENGTH } from "./signup-service.ts";

const USERNAME_TAKEN = "This username is already taken.";
const EMAIL_TAKEN = "This email is already registered.";

type ChangeDeps = DeliveryDeps & Pick<Deps, "clock" | "config" | "ids" | "otps" | "securityLog" | "sessions" | "users">;

export interface NewUserByAdmin {
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  phone_number?: string | null;
  is_email_verified: boolean;
}

/** A user without a password; the owner is mailed a code to set one (the reset flow). */
export async function createUserByAdmin(deps: ChangeDeps, actor: AdminActor, input: NewUserByAdmin): Promise<UserRow> {
  const errors: FieldErrors = {};
  const contact = await resolveContact(
    { phone_number: input.phone_number },
    { countryAlphaCode: null, phoneNumber: null },
    errors,
  );
  if (Object.keys(errors).length > 0) throw validationError(errors);
  // An address an email change freed is held 7 days for its undo, as at signup.
  if (await heldForAnother(deps, canonicalEmail(input.email), undefined)) throw validationError({ email: [EMAIL_TAKEN] });
  const now = deps.clock.now();
  const row: UserRow = {
    ...NEW_USER_DEFAULTS,
    id: deps.ids.uuid(),
    username: input.username,
    usernameCanonical: canonicalUsername(input.username),
    email: input.email,
    emailCanonical: canonicalEmail(input.email),
    passwordHash: null,
    firstName: input.first_name,
    lastName: input.last_name,
    ...contactColumns(contact, null),
    isEmailVerified: input.is_email_verified,
    referralId: deps.ids.alphanumeric(REFERRAL_ID_LENGTH),
    createdAt: now,
    updatedAt: now,
  } as UserRow;
  for (let attempt = 0; ; attempt++) {
    const result = await deps.users.insert(row);
    if (result.inserted) break;
    // Retry only on the (astronomically rare) referral-id collision.
    if (!result.duplicateKey.includes("referral") || attempt === 2) {
      throw validationError(result.duplicateKey.includes("username") ? { username: [USERNAME_TAKEN] } : { email: [EMAIL_TAKEN] });
    }
    row.referralId = deps.ids.alphanumeric(REFERRAL_ID_LENGTH);
  }
  deps.securityLog.record("account_created_by_admin", row.id, { actor: actor.id });
  mailCodeAfterResponse(
    deps,
    "password-reset",
    async () => row,
    (user, code) => accountCreatedEmail(deps.config.APP_NAME, user.email, code, otpMinutes(deps)),
  );
  return row;
}

export interface AdminUserPatch {
  first_name?: string;
  last_name?: string;
  email?: string;
  is_email_verified?: boolean;
  phone_number?: string | null;
  role?: Role;
}

/**
 * Names, address (unverified unless the patch says otherwise), verification, phone, role. A role
 * change needs an admin's own token: a key with users:write must not make admins.
 */
export async function patchUserByAdmin(
  deps: ChangeDeps & Pick<Deps, "config">,
  actor: AdminActor,
  id: string,
  patch: AdminUserPatch,
): Promise<void> {
  const row = await changeableUser(deps, actor, id);
  if (patch.role !== undefined && patch.role !== row.role && !actedByAdmin(actor))
    throw new AppError("FORBIDDEN", { message: "changing a role needs an admin's token" });
  const errors: FieldErrors = {};
  const contact = await resolveContact({ phone_number: patch.phone_number }, row, errors);
  if (Object.keys(errors).length > 0) throw validationError(errors);
  const changes: Partial<NewUserRow> = { ...contactColumns(contact, row.phoneNumber), updatedAt: deps.clock.now() };
  if (patch.first_name !== undefined) changes.firstName = patch.first_name;
  if (patch.last_name !== undefined) changes.lastName = patch.last_name;
  const emailMoves = patch.email !== undefined && canonicalEmail(patch.email) !== row.emailCanonical;
  if (emailMoves && (await heldForAnother(deps, canonicalEmail(patch.email as string), id)))
    throw validationError({ email: [EMAIL_TAKEN] });
  if (patch.email !== undefined) {
    changes.email = patch.email;
    changes.emailCanonical = canonicalEmail(patch.email);
  }
  if (patch.is_email_verified !== undefined) changes.isEmailVerified = patch.is_email_verified;
  else if (emailMoves) changes.isEmailVerified = false;
  const updated = await deps.users.updateUnlessTaken(id, changes);
  if (updated === "taken") throw validationError({ email: [EMAIL_TAKEN] });
  if (updated === 0) throw new AppError("NOT_FOUND", { message: "no such user" });
  if (patch.email !== undefined && patch.email !== row.email) await deps.sessions.updateEmails(id, patch.email);
  deps.securityLog.record("profile_changed_by_admin", id, { actor: actor.id });
  if (patch.role !== undefined && patch.role !== row.role) {
    await changeRole(deps, id, patch.role);
    deps.securityLog.record("role_changed", id, { actor: actor.id });
  }
}

/** A lost second factor: two-factor off, every session ended, the owner told by mail. */
export async function resetTwoFactorByAdmin(deps: ChangeDeps & Pick<Deps, "config">, actor: AdminActor, id: string) {
  const row = await changeableUser(deps, actor, id);
  const now = deps.clock.now();
  const off = { twoFactorMethods: "", totpSecret: null, totpPendingSecret: null, recoveryCodes: null };
  if ((await deps.users.update(id, { ...off, tokensValidAfter: now, updatedAt: now })) === 0)
    throw new AppError("NOT_FOUND", { message: "no such user" });
  await revokeSessionsInRedis(deps, id, now);
  deps.securityLog.record("two_factor_reset", id, { actor: actor.id });
  sendEmail(deps, "two-factor reset notice", twoFactorResetEmail(deps.config.APP_NAME, row.email));
}

/** As the user's own deletion (account-service.ts), without their password; the audit record outlives the account. */
export async function deleteUserByAdmin(
  deps: Pick<Deps, "background" | "config" | "images" | "log" | "securityLog" | "sessions" | "users">,
  actor: AdminActor,
  id: string,
) {
  await changeableUser(deps, actor, id);
  if (!(await removeAccount(deps, id, { actor: actor.id, target: `user:${id}` })))
    throw new AppError("NOT_FOUND", { message: "no such user" });
}
