// Phone numbers: validated for the user's country with libphonenumber-js and kept in E.164.
import type { CountryCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
import { keptOnSuccess } from "./kept-on-success.ts";

/**
 * libphonenumber-js with its full metadata (the bundle's largest library, and a few ms of CPU to
 * evaluate), loaded when a phone number or a country is first needed in an isolate rather than
 * when it starts: an isolate that only checks tokens never needs it.
 */
export const phoneLibrary = keptOnSuccess(() => import("./phone-library.ts"));

type PhoneLibrary = { parsePhoneNumberFromString: typeof parsePhoneNumberFromString };

const NEEDS_COUNTRY: PhoneCheck = { ok: false, reason: "Give a country, or the number in international format (+...)." };

export type PhoneCheck = { ok: true; e164: string; country: string | undefined } | { ok: false; reason: string };

/**
 * Accepts a national number for `country` or an international "+" number. A "+" number must
 * belong to `country` when one is given; without a country, only a "+" number can be judged.
 */
export async function checkPhoneNumber(input: string, country: string | undefined): Promise<PhoneCheck> {
  // Judged without the library when it can be (nothing to load for a request that fails here).
  if (!input.trim().startsWith("+") && !country) return NEEDS_COUNTRY;
  return checkPhoneNumberWith(await phoneLibrary(), input, country);
}

/** The same check with libphonenumber-js already loaded (the Django importer, in Node, loads it itself). */
export function checkPhoneNumberWith(library: PhoneLibrary, input: string, country: string | undefined): PhoneCheck {
  const text = input.trim();
  if (!text.startsWith("+") && !country) return NEEDS_COUNTRY;
  const parsed = library.parsePhoneNumberFromString(text, country as CountryCode | undefined);
  if (!parsed?.isValid()) {
    return { ok: false, reason: country ? `Enter a valid phone number for ${country}.` : "Enter a valid phone number." };
  }
  if (country && parsed.country !== country && !parsed.getPossibleCountries().includes(country as CountryCode)) {
    return { ok: false, reason: `The phone number does not belong to ${country}.` };
  }
  return { ok: true, e164: parsed.number, country: parsed.country };
}
