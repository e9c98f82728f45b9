// Token signing keys: one Ed25519 private key signs; its public half plus any extra public keys
// (JWT_PUBLIC_KEYS, the previous keys during a rotation) verify. Imported once per isolate.

import { type CryptoKey, exportJWK, importJWK, type JWK } from "jose";
import { z } from "zod";
import { isolateStats } from "./isolate-stats.ts";

export const TOKEN_ALGORITHM = "EdDSA";

export const publicJwkSchema = z.looseObject({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string().min(40),
  kid: z.string().min(1),
});

export const privateJwkSchema = publicJwkSchema.extend({ d: z.string().min(40) });

export type PublicJwk = z.infer<typeof publicJwkSchema>;
export type PrivateJwk = z.infer<typeof privateJwkSchema>;

export interface SigningKeys {
  signing: { kid: string; key: CryptoKey };
  verification: ReadonlyMap<string, CryptoKey>;
  /** The public JWK Set served at /.well-known/jwks.json. */
  jwks: { keys: JWK[] };
}

function publicPart(jwk: PublicJwk): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: jwk.kid, alg: TOKEN_ALGORITHM, use: "sig" };
}

const cache = new WeakMap<object, Promise<SigningKeys>>();

export function loadSigningKeys(privateJwk: PrivateJwk, extraPublic: PublicJwk[]): Promise<SigningKeys> {
  let keys = cache.get(privateJwk);
  if (keys) isolateStats.keysCacheHits++;
  else {
    isolateStats.keysImported++;
    keys = importKeys(privateJwk, extraPublic);
    keys.catch(() => cache.delete(privateJwk));
    cache.set(privateJwk, keys);
  }
  return keys;
}

async function importKeys(privateJwk: PrivateJwk, extraPublic: PublicJwk[]): Promise<SigningKeys> {
  const signingKey = (await importJWK({ ...privateJwk, alg: TOKEN_ALGORITHM }, TOKEN_ALGORITHM)) as CryptoKey;
  const publics = [publicPart(privateJwk), ...extraPublic.filter((jwk) => jwk.kid !== privateJwk.kid).map(publicPart)];
  const verification = new Map<string, CryptoKey>();
  for (const jwk of publics) verification.set(jwk.kid as string, (await importJWK(jwk, TOKEN_ALGORITHM)) as CryptoKey);
  return { signing: { kid: privateJwk.kid, key: signingKey }, verification, jwks: { keys: publics } };
}

/** A new key pair, for `npm run keys:generate` and dev's generated .dev.vars. */
export async function generateSigningKey(): Promise<{ privateJwk: PrivateJwk; publicJwk: PublicJwk }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const kid = `ed25519-${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`;
  const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg: TOKEN_ALGORITHM } as PrivateJwk;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg: TOKEN_ALGORITHM, use: "sig" } as PublicJwk;
  return { privateJwk, publicJwk };
}
