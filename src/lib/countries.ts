// The ISO 3166-1 country list with ITU calling codes: English names from countries-list, calling
// codes from libphonenumber-js (the same metadata that validates phone numbers), so the two agree.
import type { CountryCode } from "libphonenumber-js/max";
import { keptOnSuccess } from "./kept-on-success.ts";
import { phoneLibrary } from "./phone.ts";

export interface Country {
  alphaCode: string;
  name: string;
  phoneCode: string;
}

// countries-list also has codes that are not ISO 3166-1 country codes: Ascension Island and
// Tristan da Cunha (exceptionally reserved) and Kosovo (user-assigned).
const NOT_ISO_3166_1 = new Set(["AC", "TA", "XK"]);

// Territories without phone-number metadata in libphonenumber-js (no numbering plan of their own).
const CALLING_CODES_WITHOUT_METADATA: Record<string, string> = {
  AQ: "672",
  BV: "47",
  GS: "500",
  HM: "61",
  PN: "64",
  TF: "262",
  UM: "1",
};

/** Every country, built on first use in an isolate (with the phone library, lib/phone.ts) and kept. */
export const countries = keptOnSuccess(async (): Promise<ReadonlyMap<string, Country>> => {
  const [{ getCountries, getCountryCallingCode }, names] = await Promise.all([
    phoneLibrary(),
    import("countries-list/minimal/countries.en.min.json"),
  ]);
  const withMetadata = new Set<string>(getCountries());
  const callingCode = (alphaCode: string): string => {
    if (withMetadata.has(alphaCode)) return getCountryCallingCode(alphaCode as CountryCode);
    const code = CALLING_CODES_WITHOUT_METADATA[alphaCode];
    if (!code) throw new Error(`no calling code for ${alphaCode}`);
    return code;
  };
  return new Map(
    Object.entries(names.default as Record<string, string>)
      .filter(([alphaCode]) => !NOT_ISO_3166_1.has(alphaCode))
      .map(([alphaCode, name]) => [alphaCode, { alphaCode, name, phoneCode: callingCode(alphaCode) }]),
  );
});

export async function findCountry(alphaCode: string): Promise<Country | undefined> {
  return (await countries()).get(alphaCode.toUpperCase());
}
