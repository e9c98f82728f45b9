// Password hashes imported from the original Django service: Django's own format,
//   pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>
// with the password and salt as UTF-8 and no pepper. Django 3.2 used 260,000 iterations and 5.x up
// to 1,000,000, above the 100,000 deployed Workers allow in Web Crypto (and node:crypto), so above
// that cap a pure-JS PBKDF2 (@noble/hashes, which yields to the event loop while it runs) checks
// them. Each user pays that once: a successful login rehashes to this service's format.
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
import { sha256 } from "@noble/hashes/sha2.js";

export const DJANGO_PBKDF2_PREFIX = "pbkdf2_sha256$";
const KEY_BYTES = 32;
/** Django 5.2's default; anything above is not a hash we imported. */
const MAX_ITERATIONS = 1_000_000;

const encoder = new TextEncoder();

interface DjangoHash {
  iterations: number;
  salt: string;
  hash: Uint8Array;
}

export function parseDjangoHash(stored: string): DjangoHash | null {
  const [scheme, iterations, salt, hash, ...rest] = stored.split("$");
  if (`${scheme}$` !== DJANGO_PBKDF2_PREFIX || rest.length > 0 || !salt || !hash) return null;
  const count = Number(iterations);
  if (!Number.isInteger(count) || count < 1 || count > MAX_ITERATIONS) return null;
  try {
    const bytes = Uint8Array.from(atob(hash), (char) => char.charCodeAt(0));
    return bytes.length === KEY_BYTES ? { iterations: count, salt, hash: bytes } : null;
  } catch {
    return null;
  }
}

async function webCryptoPbkdf2(password: Uint8Array, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(
    await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, KEY_BYTES * 8),
  );
}

/**
 * Whether `password` matches a Django hash. `webCryptoUpTo` is the largest iteration count Web
 * Crypto is asked for (the Workers cap; tests lower it to exercise the pure-JS path cheaply).
 */
export async function verifyDjangoPassword(password: string, stored: string, webCryptoUpTo: number): Promise<boolean> {
  const parsed = parseDjangoHash(stored);
  if (!parsed) return false;
  const secret = encoder.encode(password);
  const salt = encoder.encode(parsed.salt);
  const candidate =
    parsed.iterations <= webCryptoUpTo
      ? await webCryptoPbkdf2(secret, salt, parsed.iterations)
      : await pbkdf2Async(sha256, secret, salt, { c: parsed.iterations, dkLen: KEY_BYTES, asyncTick: 10 });
  return crypto.subtle.timingSafeEqual(candidate, parsed.hash);
}
