// Standard Webhooks signatures. A message is signed over `<webhook-id>.<webhook-timestamp>.<body>`:
// `v1,<base64 HMAC-SHA256>` with a shared secret (whsec_<base64 key>), or `v1a,<base64 Ed25519>`
// with a private key whose public half (whpk_<base64 raw key>) a receiver verifies with, holding no
// secret. Several signatures are sent space-separated while a rotated-out one still counts.

export type SigningScheme = "v1" | "v1a";

const toBase64 = (bytes: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** New signing material: the secret to seal and, for v1a, the public key to show. */
export async function newSigningSecret(scheme: SigningScheme): Promise<{ secret: string; publicKey: string | null }> {
  if (scheme === "v1") return { secret: `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`, publicKey: null };
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const [privateKey, publicKey] = await Promise.all([
    crypto.subtle.exportKey("pkcs8", pair.privateKey) as Promise<ArrayBuffer>,
    crypto.subtle.exportKey("raw", pair.publicKey) as Promise<ArrayBuffer>,
  ]);
  return { secret: `whsk_${toBase64(privateKey)}`, publicKey: `whpk_${toBase64(publicKey)}` };
}

/** One signature (`v1,...` or `v1a,...`) of a message with one secret. */
export async function signMessage(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  if (secret.startsWith("whsec_")) {
    const key = await crypto.subtle.importKey("raw", fromBase64(secret.slice(6)), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    return `v1,${toBase64(await crypto.subtle.sign("HMAC", key, content))}`;
  }
  const key = await crypto.subtle.importKey("pkcs8", fromBase64(secret.slice(5)), { name: "Ed25519" }, false, ["sign"]);
  return `v1a,${toBase64(await crypto.subtle.sign("Ed25519", key, content))}`;
}
