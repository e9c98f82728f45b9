// Secrets at rest (the TOTP seeds): AES-256-GCM under a key from the worker's secrets, bound to
// the row they belong to (the user id is the additional data, so a sealed value copied to
// another row does not open). Sealed form: `v1.<key id>.<iv>.<ciphertext>`, base64url parts;
// the key id lets a rotation keep reading values sealed under an earlier key.
import { base64url } from "jose";
import { toHex } from "./hex.ts";

export interface SecretBox {
  seal(plain: string, owner: string): Promise<string>;
  /** The plain text, and whether it was sealed under an earlier key (then worth sealing again). */
  open(sealed: string, owner: string): Promise<{ plain: string; stale: boolean }>;
}

interface BoxKey {
  id: string;
  key: CryptoKey;
}

const encoder = new TextEncoder();
const imported = new Map<string, Promise<BoxKey>>();

function importKey(base64: string): Promise<BoxKey> {
  let key = imported.get(base64);
  if (!key) {
    key = (async () => {
      const raw = Uint8Array.from(atob(base64.trim()), (char) => char.charCodeAt(0));
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
      const id = toHex(digest.slice(0, 4));
      return { id, key: await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]) };
    })();
    imported.set(base64, key);
  }
  return key;
}

export function createSecretBox(currentKey: string, previousKeys: string[]): SecretBox {
  const current = importKey(currentKey);
  const all = Promise.all([current, ...previousKeys.map(importKey)]);
  return {
    async seal(plain, owner) {
      const { id, key } = await current;
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const cipher = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: encoder.encode(owner) },
        key,
        encoder.encode(plain),
      );
      return `v1.${id}.${base64url.encode(iv)}.${base64url.encode(new Uint8Array(cipher))}`;
    },
    async open(sealed, owner) {
      const [version, id, iv, cipher] = sealed.split(".");
      const keys = await all;
      const match = keys.find((candidate) => candidate.id === id);
      if (version !== "v1" || !match || !iv || !cipher) throw new Error("sealed under an unknown key or format");
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: base64url.decode(iv), additionalData: encoder.encode(owner) },
        match.key,
        base64url.decode(cipher),
      );
      return { plain: new TextDecoder().decode(plain), stale: match !== keys[0] };
    },
  };
}
