// The password rules (docs/security.md: Passwords): length by characters and bytes, letters and digits, not a
// common password, not the account's own username or email.

import type { Config } from "../config.ts";
import { COMMON_PASSWORDS } from "../data/common-passwords.ts";
import type { HashOptions } from "../lib/password-hash.ts";

export const PASSWORD_MAX_BYTES = 1024;

/**
 * The words of a front-coded list: each line is how many leading characters the word shares with
 * the one before (one digit) followed by the rest of it.
 */
export function expandFrontCoded(list: string): string[] {
  let previous = "";
  return list.split("\n").map((line) => {
    previous = previous.slice(0, line.charCodeAt(0) - 48) + line.slice(1);
    return previous;
  });
}

let commonPasswords: Set<string> | undefined;
function isCommon(password: string): boolean {
  commonPasswords ??= new Set(expandFrontCoded(COMMON_PASSWORDS));
  return commonPasswords.has(password.toLowerCase());
}

export interface PasswordContext {
  minLength: number;
  username?: string;
  email?: string;
}

/** Returns the reasons `password` is refused; empty when it is acceptable. */
export function passwordProblems(password: string, context: PasswordContext): string[] {
  const normalized = password.normalize("NFKC");
  if (new TextEncoder().encode(normalized).length > PASSWORD_MAX_BYTES) {
    // Checked before anything else (and before hashing): long inputs only cost CPU.
    return [`Ensure this field has no more than ${PASSWORD_MAX_BYTES} bytes.`];
  }
  const problems: string[] = [];
  if ([...normalized].length < context.minLength) {
    problems.push(`Ensure this field has at least ${context.minLength} characters.`);
  }
  if (!/\p{L}/u.test(normalized) || !/\p{N}/u.test(normalized)) {
    problems.push("The password must contain at least one letter and one digit.");
  }
  if (isCommon(normalized)) problems.push("This password is too common.");
  const lower = normalized.toLowerCase();
  const identifiers = [context.username, context.email, context.email?.split("@")[0]];
  if (identifiers.some((identifier) => identifier && identifier.normalize("NFKC").toLowerCase() === lower)) {
    problems.push("The password is too similar to the username or email.");
  }
  return problems;
}

/** The current hashing parameters: new hashes use them, older hashes are upgraded to them. */
export function hashOptions(config: Config): HashOptions {
  return { iterations: config.PBKDF2_ITERATIONS, pepper: config.PASSWORD_PEPPER };
}
