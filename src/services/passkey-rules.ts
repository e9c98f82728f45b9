// What registering and signing in with a passkey share: the relying party, the algorithms, the
// challenge's lifetime, and reading the challenge a browser's response answers.
import { base64url } from "jose";
import type { Config } from "../config.ts";
import { toHex } from "../lib/hex.ts";

/** Ed25519, ES256, RS256: what every platform authenticator and security key offers. */
export const PASSKEY_ALGORITHMS = [-8, -7, -257];
export const CHALLENGE_TTL_MS = 5 * 60_000;

/**
 * The WebAuthn library, loaded when a passkey is first used in an isolate, not when it starts: it
 * brings an ASN.1/X.509 stack (for attestation certificates) whose set-up costs about 10 ms of
 * CPU, which an isolate that only checks tokens would pay for nothing.
 */
export const webauthnLibrary = () => import("@simplewebauthn/server");

export const relyingParty = (config: Config) => ({
  id: config.WEBAUTHN_RP_ID,
  name: config.WEBAUTHN_RP_NAME,
  origins: config.WEBAUTHN_ORIGINS,
});

/**
 * The challenge a response's clientDataJSON answers (base64url), or null when it holds none.
 * Only read here, to find the stored challenge: the library verifies the response against it.
 */
export function answeredChallenge(clientDataJSON: string): string | null {
  try {
    const clientData = JSON.parse(new TextDecoder().decode(base64url.decode(clientDataJSON))) as unknown;
    const challenge = (clientData as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === "string" && /^[A-Za-z0-9_-]{16,128}$/.test(challenge) ? challenge : null;
  } catch {
    return null;
  }
}

/** The SHA-256 of a credential id's bytes, as stored for lookups; null for an id that is not base64url. */
export async function credentialDigest(credentialId: string): Promise<string | null> {
  try {
    return toHex(await crypto.subtle.digest("SHA-256", base64url.decode(credentialId)));
  } catch {
    return null;
  }
}
