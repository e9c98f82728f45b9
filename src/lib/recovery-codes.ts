// Recovery codes: 10 single-use codes of 80 random bits (16 base32 characters, shown as
// XXXX-XXXX-XXXX-XXXX), kept only as SHA-256 digests. 80 bits make an unkeyed digest safe to
// store: a stolen table cannot be searched for them.
import { digestHex } from "./hex.ts";

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export const RECOVERY_CODE_COUNT = 10;
const GROUPS = 4;
const GROUP_LENGTH = 4;

export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const bytes = crypto.getRandomValues(new Uint8Array(GROUPS * GROUP_LENGTH));
    // 32 divides 256: every character is equally likely.
    const chars = [...bytes].map((byte) => base32Alphabet[byte % 32]).join("");
    return chars.match(new RegExp(`.{${GROUP_LENGTH}}`, "g"))?.join("-") ?? chars;
  });
}

/** What the user typed, as stored: case, spaces and dashes do not matter. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, "");
  return code.length === GROUPS * GROUP_LENGTH && [...code].every((char) => base32Alphabet.includes(char)) ? code : null;
}

export async function recoveryCodeDigest(code: string): Promise<string> {
  const normalized = normalizeRecoveryCode(code) ?? code;
  return digestHex("SHA-256", normalized);
}
