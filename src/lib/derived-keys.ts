// Secrets for purposes of their own, derived from the token signing key (HKDF-SHA-256 over its
// private part, one `info` per purpose), so no extra secret has to be configured and none is
// used for two things. Derived once per isolate and purpose.
import { base64url } from "jose";
import { toHex } from "./hex.ts";

const derived = new WeakMap<object, Map<string, Promise<Uint8Array>>>();

export function deriveKey(signingJwk: { d: string }, purpose: string): Promise<Uint8Array> {
  let byPurpose = derived.get(signingJwk);
  if (!byPurpose) {
    byPurpose = new Map();
    derived.set(signingJwk, byPurpose);
  }
  let key = byPurpose.get(purpose);
  if (!key) {
    key = (async () => {
      const material = await crypto.subtle.importKey("raw", base64url.decode(signingJwk.d), "HKDF", false, ["deriveBits"]);
      const info = new TextEncoder().encode(`loginsystem-edge ${purpose}`);
      const bits = await crypto.subtle.deriveBits(
        { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info },
        material,
        256,
      );
      return new Uint8Array(bits);
    })();
    byPurpose.set(purpose, key);
  }
  return key;
}

/** The key of the sign-in-with flows' one-time codes (lib/flow-codes.ts). */
export const flowCodeKey = (signingJwk: { d: string }) => deriveKey(signingJwk, "sign-in-with one-time code v1");

/** The scope under which provider documents are cached (providers/oauth/remote-json.ts): hex. */
export const documentCacheScope = async (signingJwk: { d: string }) =>
  toHex(await deriveKey(signingJwk, "sign-in-with document cache v1"));
