// Checking a passkey's assertion against a stored passkey: what a passkey sign-in and a passkey
// as the second factor share. The library checks signature, origin, RP ID, type, challenge and
// user verification; the sign count and the user handle are compared here.
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { base64url } from "jose";
import type { PasskeyRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { credentialDigest, relyingParty, webauthnLibrary } from "./passkey-rules.ts";

/** The stored passkey (with its user) that a response names by its credential id, or null. */
export async function namedPasskey(deps: Pick<Deps, "passkeys">, response: AuthenticationResponseJSON) {
  const digest = await credentialDigest(response.id);
  return digest ? deps.passkeys.findForLogin(digest) : null;
}

export type AssertionCheck = { status: "valid"; newCount: number } | { status: "invalid" | "cloned" };

export async function checkAssertion(
  deps: Pick<Deps, "config" | "log">,
  passkey: PasskeyRow,
  response: AuthenticationResponseJSON,
  expectedChallenge: string,
): Promise<AssertionCheck> {
  const rp = relyingParty(deps.config);
  let verified = false;
  let newCount = 0;
  const { verifyAuthenticationResponse } = await webauthnLibrary();
  try {
    const result = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      // The count is compared below, where a backwards one can be told apart and recorded.
      credential: { id: passkey.credentialId, publicKey: Uint8Array.from(base64url.decode(passkey.publicKey)), counter: 0 },
      requireUserVerification: true,
    });
    verified = result.verified;
    newCount = result.authenticationInfo.newCounter;
  } catch (error) {
    deps.log.info("passkey_assertion_refused", { reason: error instanceof Error ? error.message.slice(0, 120) : "malformed" });
  }
  // For a discoverable credential the browser names the account it was made for: it must be the passkey's.
  const handle = response.response.userHandle;
  if (!verified || (handle && decodeHandle(handle) !== passkey.userId)) return { status: "invalid" };
  // A count that does not grow (unless the authenticator keeps none: both zero) is a copy of the key.
  if ((newCount > 0 || passkey.signCount > 0) && newCount <= passkey.signCount) return { status: "cloned" };
  return { status: "valid", newCount };
}

function decodeHandle(handle: string): string | null {
  try {
    return new TextDecoder().decode(base64url.decode(handle));
  } catch {
    return null;
  }
}
