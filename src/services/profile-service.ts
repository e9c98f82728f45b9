// Reading and updating the signed-in user's own profile. Identity always comes from the token;
// bodies are allow-listed by the routes' strict schemas.
import type { NewUserRow, UserRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { type FieldErrors, invalidTokenError, validationError } from "../lib/errors.ts";
import { parseMethods } from "../lib/two-factor.ts";
import { type ContactInput, checkDateOfBirth, contactColumns, resolveContact } from "./profile-rules.ts";
import { publicUser } from "./user-view.ts";

export interface UserPatch extends ContactInput {
  first_name?: string;
  last_name?: string;
  gender?: number;
  dob?: string | null;
}

export interface ProfilePatch {
  phone_number?: string | null;
  address?: string | null;
  city?: string | null;
  state?: string | null;
  postal_code?: string | null;
}

/** A token whose user no longer exists is an invalid token (401), not a server error. */
async function currentUser(deps: Pick<Deps, "users">, userId: string): Promise<UserRow> {
  const row = await deps.users.findById(userId);
  if (!row) throw invalidTokenError();
  return row;
}

export function profileView(row: UserRow, today: Date) {
  return {
    user: publicUser(row, today),
    phone_number: row.phoneNumber,
    is_phone_number_verified: row.isPhoneNumberVerified,
    address: row.address,
    city: row.city,
    state: row.state,
    country_name: row.countryName,
    postal_code: row.postalCode,
    referral_id: row.referralId,
    referral_points: row.referralPoints,
    two_factor_enabled: parseMethods(row.twoFactorMethods).length > 0,
    two_factor_methods: parseMethods(row.twoFactorMethods),
  };
}

/** One MySQL query. */
export async function getProfile(deps: Pick<Deps, "clock" | "users">, userId: string) {
  return profileView(await currentUser(deps, userId), deps.clock.now());
}

async function applyChanges(
  deps: Pick<Deps, "clock" | "users" | "webhooks">,
  row: UserRow,
  changes: Partial<NewUserRow>,
): Promise<UserRow> {
  // A number that receives sign-in codes is a second factor: a stolen session alone must not move
  // it (re-verified, the new number would get the codes). Turning SMS off takes a second factor.
  if (changes.phoneNumber !== undefined && parseMethods(row.twoFactorMethods).includes("sms")) {
    throw validationError({
      phone_number: ["This number is a second factor (SMS): turn SMS off at /auth/secure/2fa/methods/ before changing it."],
    });
  }
  const now = deps.clock.now();
  const withTime = { ...changes, updatedAt: now };
  // Zero rows changed: either nothing differed, or the account was deleted since our read.
  if ((await deps.users.update(row.id, withTime)) === 0) await currentUser(deps, row.id);
  deps.webhooks.emit("user.updated", { user_id: row.id });
  return { ...row, ...withTime };
}

export async function updateUserFields(deps: Pick<Deps, "clock" | "users" | "webhooks">, userId: string, patch: UserPatch) {
  const row = await currentUser(deps, userId);
  const errors: FieldErrors = {};
  const contact = await resolveContact(patch, row, errors);
  checkDateOfBirth(patch.dob, deps.clock.now(), errors);
  if (Object.keys(errors).length > 0) throw validationError(errors);
  const changes: Partial<NewUserRow> = { ...contactColumns(contact, row.phoneNumber) };
  if (patch.first_name !== undefined) changes.firstName = patch.first_name;
  if (patch.last_name !== undefined) changes.lastName = patch.last_name;
  if (patch.gender !== undefined) changes.gender = patch.gender;
  if (patch.dob !== undefined) changes.dob = patch.dob;
  return publicUser(await applyChanges(deps, row, changes), deps.clock.now());
}

export async function updateProfileFields(deps: Pick<Deps, "clock" | "users" | "webhooks">, userId: string, patch: ProfilePatch) {
  const row = await currentUser(deps, userId);
  const errors: FieldErrors = {};
  const contact = await resolveContact({ phone_number: patch.phone_number }, row, errors);
  if (Object.keys(errors).length > 0) throw validationError(errors);
  const changes: Partial<NewUserRow> = { ...contactColumns(contact, row.phoneNumber) };
  if (patch.address !== undefined) changes.address = patch.address;
  if (patch.city !== undefined) changes.city = patch.city;
  if (patch.state !== undefined) changes.state = patch.state;
  if (patch.postal_code !== undefined) changes.postalCode = patch.postal_code;
  return profileView(await applyChanges(deps, row, changes), deps.clock.now());
}
