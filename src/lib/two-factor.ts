// The second factors this service offers. TOTP (an authenticator app) is the strong one; SMS
// and email codes are weaker (SIM swaps, and a mailbox is usually what a password reset already
// trusts), so an operator may switch them off with TWO_FACTOR_METHODS.
export const TWO_FACTOR_METHODS = ["totp", "sms", "email"] as const;
export type TwoFactorMethod = (typeof TWO_FACTOR_METHODS)[number];

/** The methods column (`"totp,sms"`) as a list, in the canonical order. */
export function parseMethods(column: string | null | undefined): TwoFactorMethod[] {
  const named = new Set((column ?? "").split(","));
  return TWO_FACTOR_METHODS.filter((method) => named.has(method));
}

export const formatMethods = (methods: Iterable<TwoFactorMethod>): string => parseMethods([...methods].join(",")).join(",");
