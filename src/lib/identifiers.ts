// Canonical forms of usernames and emails. Uniqueness is judged on these (each has a unique
// index), so "Alice", "alice " and "ＡＬＩＣＥ" (full-width) are one account name.
export function canonicalUsername(username: string): string {
  return username.normalize("NFKC").trim().toLowerCase();
}

export function canonicalEmail(email: string): string {
  return email.normalize("NFKC").trim().toLowerCase();
}

/**
 * Letters, digits and . _ + - after NFKC normalisation: the original Django rule without "@". A
 * login name with "@" is an email address, so no username may look like one (an account named
 * after someone else's address would otherwise answer to it).
 */
export const USERNAME_PATTERN = /^[\p{L}\p{N}._+-]+$/u;

/** The original rule, "@" allowed: accounts imported from the original service keep their names. */
export const LEGACY_USERNAME_PATTERN = /^[\p{L}\p{N}._@+-]+$/u;

/** C0/C1 control characters, including CR and LF (header and log injection). */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/u;
