// Resolves the country fields of a request against the ISO 3166-1 list (docs/api.md: signup, countries):
// the alpha code alone suffices; a name or calling code given with it must match it.
import { type Country, findCountry } from "../lib/countries.ts";
import { addFieldError, type FieldErrors } from "../lib/errors.ts";

export interface CountryInput {
  country_alpha_code?: string | null;
  country_name?: string | null;
  country_phone_code?: number | string | null;
}

export async function resolveCountry(input: CountryInput, errors: FieldErrors): Promise<Country | null> {
  const alpha = input.country_alpha_code?.trim() || undefined;
  const name = input.country_name?.trim() || undefined;
  const phoneCode = input.country_phone_code == null ? undefined : String(input.country_phone_code).replace(/^\+/, "");
  if (!alpha) {
    if (name !== undefined || phoneCode !== undefined) {
      addFieldError(errors, "country_alpha_code", "This field is required when country_name or country_phone_code is given.");
    }
    return null;
  }
  const country = await findCountry(alpha);
  if (!country) {
    addFieldError(errors, "country_alpha_code", "Unknown ISO 3166-1 alpha-2 country code.");
    return null;
  }
  if (name !== undefined && name.toLowerCase() !== country.name.toLowerCase()) {
    addFieldError(errors, "country_name", `Does not match country ${country.alphaCode} (${country.name}).`);
  }
  if (phoneCode !== undefined && phoneCode !== country.phoneCode) {
    addFieldError(errors, "country_phone_code", `Does not match country ${country.alphaCode} (+${country.phoneCode}).`);
  }
  return country;
}
