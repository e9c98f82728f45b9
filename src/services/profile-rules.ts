// Rules shared by signup and the profile updates: country and phone number together (the country
// triple must match the ISO list; phones are validated for that country and stored in E.164), and a
// date of birth in the past.
import { type Country, findCountry } from "../lib/countries.ts";
import { addFieldError, type FieldErrors } from "../lib/errors.ts";
import { checkPhoneNumber } from "../lib/phone.ts";
import { type CountryInput, resolveCountry } from "./country.ts";

export interface ContactInput extends CountryInput {
  phone_number?: string | null;
}

export interface CurrentContact {
  countryAlphaCode: string | null;
  phoneNumber: string | null;
}

/** `undefined` means "leave as it is"; `null` means "clear". */
export interface ContactChange {
  country: Country | null | undefined;
  phoneNumber: string | null | undefined;
}

const COUNTRY_FIELDS = ["country_alpha_code", "country_name", "country_phone_code"] as const;

export async function resolveContact(input: ContactInput, current: CurrentContact, errors: FieldErrors): Promise<ContactChange> {
  const countryGiven = COUNTRY_FIELDS.some((field) => input[field] !== undefined);
  let country: Country | null | undefined;
  if (countryGiven) country = await resolveCountry(input, errors);
  const effective = countryGiven ? country : current.countryAlphaCode ? await findCountry(current.countryAlphaCode) : null;
  if (errors.country_alpha_code || errors.country_name || errors.country_phone_code) return { country, phoneNumber: undefined };

  if (input.phone_number === undefined) {
    // A new country must still fit the number on file.
    if (countryGiven && effective && current.phoneNumber) {
      const phone = await checkPhoneNumber(current.phoneNumber, effective.alphaCode);
      if (!phone.ok)
        addFieldError(
          errors,
          "phone_number",
          `The phone number on file does not belong to ${effective.alphaCode}; update it too.`,
        );
    }
    return { country, phoneNumber: undefined };
  }
  if (input.phone_number === null || input.phone_number.trim() === "") return { country, phoneNumber: null };

  const phone = await checkPhoneNumber(input.phone_number, effective?.alphaCode);
  if (!phone.ok) {
    addFieldError(errors, "phone_number", phone.reason);
    return { country, phoneNumber: undefined };
  }
  // A "+" number given without any country names the country itself (the contract for signups without a country).
  if (!effective && phone.country) country = (await findCountry(phone.country)) ?? null;
  return { country, phoneNumber: phone.e164 };
}

export function checkDateOfBirth(dob: string | null | undefined, today: Date, errors: FieldErrors): void {
  if (dob && dob >= today.toISOString().slice(0, 10)) addFieldError(errors, "dob", "Date of birth must be in the past.");
}

/** The column values of a contact change, with the verified flag reset when the number changes. */
export function contactColumns(change: ContactChange, currentPhone: string | null) {
  const columns: {
    countryAlphaCode?: string | null;
    countryName?: string | null;
    countryPhoneCode?: number | null;
    phoneNumber?: string | null;
    isPhoneNumberVerified?: boolean;
  } = {};
  if (change.country !== undefined) {
    columns.countryAlphaCode = change.country?.alphaCode ?? null;
    columns.countryName = change.country?.name ?? null;
    columns.countryPhoneCode = change.country ? Number(change.country.phoneCode) : null;
  }
  if (change.phoneNumber !== undefined && change.phoneNumber !== currentPhone) {
    columns.phoneNumber = change.phoneNumber;
    columns.isPhoneNumberVerified = false;
  }
  return columns;
}
