// The ISO 3166-1 country list with ITU calling codes: English names from countries-list, calling
// codes from libphonenumber-js (the same metadata that validates phone numbers), so the two agree.
import countryNames from "countries-list/minimal/countries.en.min.json";
import { type CountryCode, getCountries, getCountryCallingCode } from "libphonenumber-js/max";

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

let list: ReadonlyMap<string, Country> | undefined;

/**
 * Every country, built on first use in an isolate rather than when it starts (reading the calling
 * code of 250 countries out of the phone metadata takes a few ms of CPU, which an isolate that only
 * checks tokens never needs).
 */
export function countries(): ReadonlyMap<string, Country> {
  if (list) return list;
  const withMetadata = new Set<string>(getCountries());
  const callingCode = (alphaCode: string): string => {
    if (withMetadata.has(alphaCode)) return getCountryCallingCode(alphaCode as CountryCode);
    const code = CALLING_CODES_WITHOUT_METADATA[alphaCode];
    if (!code) throw new Error(`no calling code for ${alphaCode}`);
    return code;
  };
  list = new Map(
    Object.entries(countryNames as Record<string, string>)
      .filter(([alphaCode]) => !NOT_ISO_3166_1.has(alphaCode))
      .map(([alphaCode, name]) => [alphaCode, { alphaCode, name, phoneCode: callingCode(alphaCode) }]),
  );
  return list;
}

export function findCountry(alphaCode: string): Country | undefined {
  return countries().get(alphaCode.toUpperCase());
}
