// The parts of libphonenumber-js (full metadata) the service uses, as one module to load lazily
// (lib/phone.ts). A dynamic import keeps every export of its target: importing the library
// itself that way would bundle all of it, formatters and number finders included.
export { getCountries, getCountryCallingCode, parsePhoneNumberFromString } from "libphonenumber-js/max";
