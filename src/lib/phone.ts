// Phone numbers: validated for the user's country with libphonenumber-js and kept in E.164.
import type { CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { phoneMetadata } from "./countries.ts";

type PhoneLibrary = { parsePhoneNumberFromString: typeof parsePhoneNumberFromString };

export type PhoneCheck = { ok: true; e164: string; country: string | undefined } | { ok: false; reason: string };

/**
 * Accepts a national number for `country` or an international "+" number. A "+" number must
 * belong to `country` when one is given; without a country, only a "+" number can be judged.
 */
export async function checkPhoneNumber(input: string, country: string | undefined): Promise<PhoneCheck> {
  return checkPhoneNumberWith(await phoneMetadata(), input, country);
}

/** The same check with libphonenumber-js already loaded (the Django importer, in Node, loads it itself). */
export function checkPhoneNumberWith(library: PhoneLibrary, input: string, country: string | undefined): PhoneCheck {
  const text = input.trim();
  if (!text.startsWith("+") && !country) {
    return { ok: false, reason: "Give a country, or the number in international format (+...)." };
  }
  const parsed = library.parsePhoneNumberFromString(text, country as CountryCode | undefined);
  if (!parsed?.isValid()) {
    return { ok: false, reason: country ? `Enter a valid phone number for ${country}.` : "Enter a valid phone number." };
  }
  if (country && parsed.country !== country && !parsed.getPossibleCountries().includes(country as CountryCode)) {
    return { ok: false, reason: `The phone number does not belong to ${country}.` };
  }
  return { ok: true, e164: parsed.number, country: parsed.country };
}
