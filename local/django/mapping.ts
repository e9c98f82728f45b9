// One original account -> one `users` row under this service's rules, or the reason it cannot be
// one. Pure: no I/O. Identifiers and phone numbers go through the service's own code
// (src/lib/identifiers.ts, src/lib/phone.ts), so an imported account obeys what signup enforces.
import countryNames from "countries-list/minimal/countries.en.min.json" with { type: "json" };
import { type CountryCode, getCountries, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { z } from "zod";
import type { NewUserRow } from "../../src/db/schema.ts";
import { randomIds } from "../../src/lib/clock.ts";
import { canonicalEmail, canonicalUsername, LEGACY_USERNAME_PATTERN } from "../../src/lib/identifiers.ts";
import { checkPhoneNumberWith } from "../../src/lib/phone.ts";
import type { SourceRow } from "./source.ts";

export type ImportRow = NewUserRow & { id: string; referralId: string; createdAt: Date };

export type Mapped =
  | {
      ok: true;
      row: ImportRow;
      /** Why the user must reset their password, when the stored hash cannot be checked here. */
      passwordReset: string | null;
      /** Values changed to fit the new rules (the account is imported). */
      adjustments: string[];
    }
  | { ok: false; reason: string };

export const REFERRAL_ID_LENGTH = 10;
const REFERRAL_PATTERN = /^[A-Za-z0-9]{10}$/;
// The same rules as POST /auth/user/signup (src/routes/signup.ts).
const emailRule = z.string().normalize("NFKC").trim().max(254).email();
// Usernames with "@" are no longer accepted at signup; imported ones keep their name (reported).
const usernameRule = z.string().normalize("NFKC").trim().min(1).max(100).regex(LEGACY_USERNAME_PATTERN);

// The service's country list (src/lib/countries.ts): ISO 3166-1 names from countries-list, calling
// codes from libphonenumber-js. Codes that are not ISO 3166-1 country codes are left out as there.
const NOT_ISO_3166_1 = new Set(["AC", "TA", "XK"]);
const withMetadata = new Set<string>(getCountries());
const names = countryNames as Record<string, string>;

function findCountry(alphaCode: string, sourcePhoneCode: number | null) {
  const code = alphaCode.trim().toUpperCase();
  const name = names[code];
  if (!name || NOT_ISO_3166_1.has(code)) return null;
  const phoneCode = withMetadata.has(code) ? Number(getCountryCallingCode(code as CountryCode)) : sourcePhoneCode;
  return { alphaCode: code, name, phoneCode };
}

/** 32 hex digits (Django's UUIDField on MySQL) -> 8-4-4-4-12, lower case. */
export function dashedUuid(hex: string): string | null {
  const text = hex.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(text)) return null;
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

/** MariaDB DATETIME text (UTC) -> Date, milliseconds kept (the target stores 3 digits). */
export function utcDate(text: string): Date {
  const [day, time = "00:00:00"] = text.split(" ");
  return new Date(`${day}T${time.slice(0, 12)}Z`);
}

/**
 * The key two identifiers collide on in the target: the canonical form, with accents dropped too,
 * as the database's collation (utf8mb4_0900_ai_ci on PlanetScale, unicode_ci locally) compares them.
 */
export function collisionKey(canonical: string): string {
  return canonical.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * Whether login can check `hash` (src/lib/django-hash.ts reads pbkdf2_sha256 with at most 1,000,000
 * iterations and a 32-byte key; that module needs Web Crypto's timingSafeEqual, so not imported here).
 */
function readableDjangoHash(hash: string): boolean {
  const [scheme, iterations, salt, key, ...rest] = hash.split("$");
  const count = Number(iterations);
  if (scheme !== "pbkdf2_sha256" || rest.length > 0 || !salt || !key) return false;
  return Number.isInteger(count) && count >= 1 && count <= 1_000_000 && Buffer.from(key, "base64").length === 32;
}

export function passwordResetReason(hash: string): string | null {
  if (hash.startsWith("!")) return "unusable password (!...)";
  if (hash.startsWith("pbkdf2_sha256$")) {
    return readableDjangoHash(hash) ? null : "pbkdf2_sha256 hash that cannot be read (iterations above 1,000,000 or malformed)";
  }
  const scheme = hash.split("$", 1)[0] || "empty";
  return `password format ${scheme.slice(0, 20)} is not read by this service`;
}

function smallChoice(value: number, field: string, meaning: string, adjustments: string[]): number {
  if (value === 0 || value === 1 || value === 2) return value;
  adjustments.push(`${field} ${value} is not 0, 1 or 2 (${meaning}): set to 2`);
  return 2;
}

function dateOfBirth(dob: string | null, today: Date, adjustments: string[]): string | null {
  if (!dob) return null;
  if (dob < "1900-01-01" || dob >= today.toISOString().slice(0, 10)) {
    adjustments.push(`dob ${dob} is not between 1900-01-01 and today: cleared`);
    return null;
  }
  return dob;
}

export const INACTIVE_REASON = "inactive in the original (is_active = 0)";

export function mapRow(source: SourceRow, now: Date): Mapped {
  const id = dashedUuid(source.user_id);
  if (!id) return { ok: false, reason: `user_id ${JSON.stringify(source.user_id)} is not 32 hex digits` };
  const username = usernameRule.safeParse(source.username);
  if (!username.success) return { ok: false, reason: `invalid username ${JSON.stringify(source.username)}` };
  const email = emailRule.safeParse(source.email);
  if (!email.success) return { ok: false, reason: `invalid email ${JSON.stringify(source.email)}` };

  const adjustments: string[] = [];
  if (username.data.includes("@"))
    adjustments.push(
      `username ${JSON.stringify(username.data)} contains @ (no longer allowed at signup): kept; Basic login by it works while no account has it as its email`,
    );
  let country = null;
  if (source.country_alpha_code?.trim()) {
    country = findCountry(source.country_alpha_code, source.country_phone_code);
    if (!country) adjustments.push(`country_alpha_code ${JSON.stringify(source.country_alpha_code)} is not ISO 3166-1: cleared`);
  }
  let phoneNumber: string | null = null;
  if (source.phone_number?.trim()) {
    if (!country) return { ok: false, reason: `phone number ${source.phone_number} without a known country` };
    const phone = checkPhoneNumberWith({ parsePhoneNumberFromString }, source.phone_number, country.alphaCode);
    if (!phone.ok) return { ok: false, reason: `invalid phone number ${source.phone_number} for ${country.alphaCode}` };
    phoneNumber = phone.e164;
  }

  const sourceReferral = source.referral_id?.trim() ?? "";
  const referralGenerated = !REFERRAL_PATTERN.test(sourceReferral);
  if (referralGenerated && sourceReferral)
    adjustments.push(`referral_id ${JSON.stringify(sourceReferral)} does not fit: new one`);
  const row: ImportRow = {
    id,
    username: username.data,
    usernameCanonical: canonicalUsername(username.data),
    email: email.data,
    emailCanonical: canonicalEmail(email.data),
    // Stored as it is: login checks Django's format and rehashes it (src/lib/password-hash.ts).
    passwordHash: source.password,
    firstName: source.first_name,
    lastName: source.last_name,
    countryAlphaCode: country?.alphaCode ?? null,
    countryName: country?.name ?? null,
    countryPhoneCode: country?.phoneCode ?? null,
    gender: smallChoice(source.gender, "gender", "male, female, other", adjustments),
    dob: dateOfBirth(source.dob, now, adjustments),
    userType: smallChoice(source.user_type, "user_type", "other, employee, customer", adjustments),
    isEmailVerified: Boolean(source.is_email_verified),
    phoneNumber,
    isPhoneNumberVerified: phoneNumber !== null && Boolean(source.is_phone_number_verified),
    address: source.address,
    city: source.city,
    state: source.state,
    postalCode: source.postal_code,
    referralId: referralGenerated ? newReferralId() : sourceReferral,
    referralPoints: source.referral_points ?? 0,
    lastLoginAt: source.last_login ? utcDate(source.last_login) : null,
    twoFactorMethods: "",
    // Inactive in the original: imported disabled (no sign-in by any path until an admin enables it).
    ...(source.is_active ? {} : { disabledAt: now, disabledReason: INACTIVE_REASON }),
    createdAt: utcDate(source.created_at),
    updatedAt: now,
  };
  if (!source.is_active) adjustments.push("inactive in the original (is_active = 0): imported disabled");
  return { ok: true, row, passwordReset: passwordResetReason(source.password), adjustments };
}

export function newReferralId(): string {
  return randomIds.alphanumeric(REFERRAL_ID_LENGTH);
}
