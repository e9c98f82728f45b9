// Password hashing: PBKDF2-HMAC-SHA256 through Web Crypto, stored as a self-describing string
//   pbkdf2-sha256$<iterations>$<p|n>$<salt>$<hash>      (p = peppered, base64url salt/hash)
// so parameters can change later and old hashes are recognised and upgraded on login. Hashes
// imported from the original Django service are checked in their own format (django-hash.ts) and
// upgraded the same way.
import { base64url } from "jose";
import { DJANGO_PBKDF2_PREFIX, verifyDjangoPassword } from "./django-hash.ts";

/** Deployed Workers refuse PBKDF2 above this many iterations; local workerd does not, so a test pins it. */
export const PBKDF2_MAX_ITERATIONS = 100_000;
const SCHEME = "pbkdf2-sha256";
const SALT_BYTES = 16;
const KEY_BITS = 256;

export interface HashOptions {
  iterations: number;
  /** Secret mixed in with HMAC before hashing; a stolen database alone then cannot be cracked. */
  pepper?: string;
}

const encoder = new TextEncoder();

async function passwordKeyMaterial(password: string, pepper: string | undefined): Promise<Uint8Array> {
  const normalized = encoder.encode(password.normalize("NFKC"));
  if (!pepper) return normalized;
  const key = await crypto.subtle.importKey("raw", encoder.encode(pepper), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, normalized));
}

async function derive(material: Uint8Array, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", material, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, KEY_BITS);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, options: HashOptions): Promise<string> {
  if (options.iterations > PBKDF2_MAX_ITERATIONS) throw new Error(`PBKDF2 iterations above ${PBKDF2_MAX_ITERATIONS}`);
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const hash = await derive(await passwordKeyMaterial(password, options.pepper), salt, options.iterations);
  return [SCHEME, options.iterations, options.pepper ? "p" : "n", base64url.encode(salt), base64url.encode(hash)].join("$");
}

export interface ParsedHash {
  iterations: number;
  peppered: boolean;
  salt: Uint8Array;
  hash: Uint8Array;
}

export function parsePasswordHash(stored: string): ParsedHash | null {
  const [scheme, iterations, pepper, salt, hash, ...rest] = stored.split("$");
  if (scheme !== SCHEME || rest.length > 0 || !salt || !hash || (pepper !== "p" && pepper !== "n")) return null;
  const count = Number(iterations);
  if (!Number.isInteger(count) || count < 1 || count > PBKDF2_MAX_ITERATIONS) return null;
  try {
    return { iterations: count, peppered: pepper === "p", salt: base64url.decode(salt), hash: base64url.decode(hash) };
  } catch {
    return null;
  }
}

export interface VerifyResult {
  valid: boolean;
  /** True when the stored hash was made with other parameters than `options`: rehash it. */
  needsRehash: boolean;
}

/** `stored` null: the account has no password, so none is right. */
export async function verifyPassword(password: string, stored: string | null, options: HashOptions): Promise<VerifyResult> {
  if (stored === null) return { valid: false, needsRehash: false };
  // Imported from the original service: checked in Django's format once, then rehashed.
  if (stored.startsWith(DJANGO_PBKDF2_PREFIX)) {
    const valid = await verifyDjangoPassword(password, stored, PBKDF2_MAX_ITERATIONS);
    return { valid, needsRehash: valid };
  }
  const parsed = parsePasswordHash(stored);
  if (!parsed) return { valid: false, needsRehash: false };
  if (parsed.peppered && !options.pepper) return { valid: false, needsRehash: false };
  const material = await passwordKeyMaterial(password, parsed.peppered ? options.pepper : undefined);
  const candidate = await derive(material, parsed.salt, parsed.iterations);
  // Constant-time comparison: the time taken must not reveal how many leading bytes matched.
  // Constant time (workerd's timingSafeEqual): how long the comparison takes says nothing about the hash.
  const valid = candidate.byteLength === parsed.hash.byteLength && crypto.subtle.timingSafeEqual(candidate, parsed.hash);
  const needsRehash = parsed.iterations !== options.iterations || parsed.peppered !== Boolean(options.pepper);
  return { valid, needsRehash: valid && needsRehash };
}
