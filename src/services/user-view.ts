// The public User object of the API (never the hash or internal columns).
import type { UserRow } from "../db/schema.ts";

export function ageOn(dob: string | null, today: Date): number | null {
  if (!dob) return null;
  const [year, month, day] = dob.split("-").map(Number) as [number, number, number];
  const beforeBirthday = today.getUTCMonth() + 1 < month || (today.getUTCMonth() + 1 === month && today.getUTCDate() < day);
  return today.getUTCFullYear() - year - (beforeBirthday ? 1 : 0);
}

export function publicUser(row: UserRow, today: Date) {
  return {
    created_at: row.createdAt.toISOString(),
    user_id: row.id,
    username: row.username,
    first_name: row.firstName,
    last_name: row.lastName,
    email: row.email,
    country_alpha_code: row.countryAlphaCode,
    country_phone_code: row.countryPhoneCode,
    country_name: row.countryName,
    gender: row.gender,
    dob: row.dob,
    full_name: `${row.firstName} ${row.lastName}`.trim(),
    age: ageOn(row.dob, today),
    is_email_verified: row.isEmailVerified,
    phone_number: row.phoneNumber,
    is_phone_number_verified: row.isPhoneNumberVerified,
  };
}

export type PublicUser = ReturnType<typeof publicUser>;
