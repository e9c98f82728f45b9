// Passkeys of a signed-in user: registering one (options, then the browser's response), listing,
// renaming and removing them. Registering and removing need a recent sign-in (the session began
// less than 10 minutes ago: with 2FA on, that sign-in passed the second factor) or the password
// and, while 2FA is on, a current second factor: a passkey signs in without a second step, so a
// stolen session and the password alone must not be able to plant one.
import type { AuthenticatorTransport, RegistrationResponseJSON, VerifiedRegistrationResponse } from "@simplewebauthn/server";
import { base64url } from "jose";
import type { PasskeyRow } from "../db/schema.ts";
import type { DeliveryDeps, Deps } from "../deps.ts";
import { AppError, invalidTokenError, validationError } from "../lib/errors.ts";
import type { NewPasskey } from "../stores/passkey-store.ts";
import { sendEmail } from "./delivery.ts";
import { passkeyAddedEmail } from "./messages.ts";
import {
  answeredChallenge,
  CHALLENGE_TTL_MS,
  credentialDigest,
  PASSKEY_ALGORITHMS,
  relyingParty,
  webauthnLibrary,
} from "./passkey-rules.ts";
import type { SignedIn } from "./reauthentication.ts";
import { type Reauthentication, type RecentSignInDeps, requireRecentSignIn } from "./recent-sign-in.ts";

/** The public_key column's size. */
const MAX_PUBLIC_KEY_CHARS = 2048;

type PasskeyDeps = RecentSignInDeps & Pick<Deps, "passkeyChallenges" | "passkeys">;

/** A passkey as the API shows it: never its key or credential id. */
export function passkeyView(row: PasskeyRow) {
  return {
    id: row.id,
    name: row.name,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    backed_up: row.backedUp,
    transports: row.transports ? row.transports.split(",") : [],
  };
}

/** Options for the browser's navigator.credentials.create(): a discoverable, user-verified passkey. */
export async function startRegistration(deps: PasskeyDeps, caller: SignedIn, reauth: Reauthentication) {
  await requireRecentSignIn(deps, caller, reauth);
  const [user, existing] = await Promise.all([deps.users.findById(caller.userId), deps.passkeys.list(caller.userId)]);
  if (!user) throw invalidTokenError();
  const rp = relyingParty(deps.config);
  const { generateRegistrationOptions } = await webauthnLibrary();
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: user.username,
    userDisplayName: user.email,
    userID: Uint8Array.from(new TextEncoder().encode(user.id)),
    attestationType: "none",
    // The ones the user has already: the authenticator refuses to make a second for this account.
    excludeCredentials: existing.map((passkey) => ({
      id: passkey.credentialId,
      transports: passkey.transports ? (passkey.transports.split(",") as AuthenticatorTransport[]) : undefined,
    })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
    timeout: CHALLENGE_TTL_MS,
  });
  await deps.passkeyChallenges.keep(options.challenge, "register", caller.userId, CHALLENGE_TTL_MS);
  return options;
}

const refused = (reason: string) => validationError({ response: [reason] });

/** Verifies the browser's response to the registration options and stores the passkey. */
export async function finishRegistration(
  deps: PasskeyDeps & DeliveryDeps & Pick<Deps, "ids">,
  caller: SignedIn,
  input: { response: RegistrationResponseJSON; name?: string },
) {
  const challenge = answeredChallenge(input.response.response.clientDataJSON);
  // Spent now, whatever follows: a response is verified at most once.
  const stored = challenge ? await deps.passkeyChallenges.take(challenge) : null;
  if (!challenge || stored?.purpose !== "register" || stored.userId !== caller.userId)
    throw refused("This response answers no registration started by this account, or it expired: ask for new options.");
  const rp = relyingParty(deps.config);
  const { verifyRegistrationResponse } = await webauthnLibrary();
  let verification: VerifiedRegistrationResponse;
  try {
    verification = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.id,
      requireUserVerification: true,
      supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
    });
  } catch (error) {
    throw refused(`The passkey could not be verified: ${error instanceof Error ? error.message.slice(0, 200) : "malformed"}`);
  }
  if (!verification.verified) throw refused("The passkey could not be verified.");
  const info = verification.registrationInfo;
  const digest = await credentialDigest(info.credential.id);
  if (!digest) throw refused("The credential id is not base64url.");
  const publicKey = base64url.encode(info.credential.publicKey);
  // An RSA key of 8,192 bits fits; larger ones are no authenticator's.
  if (publicKey.length > MAX_PUBLIC_KEY_CHARS) throw refused("The passkey's public key is too large.");
  const now = deps.clock.now();
  const row: NewPasskey = {
    id: deps.ids.uuid(),
    userId: caller.userId,
    credentialId: info.credential.id,
    credentialDigest: digest,
    publicKey,
    signCount: info.credential.counter,
    transports: (info.credential.transports ?? []).join(","),
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    aaguid: info.aaguid,
    name: input.name?.trim() || "Passkey",
    createdAt: now,
  };
  const added = await deps.passkeys.insert(row);
  if (added === "duplicate") throw refused("This passkey is registered already.");
  if (added === "no-user") throw invalidTokenError();
  deps.securityLog.record("passkey_added", caller.userId);
  const user = await deps.users.findById(caller.userId);
  if (user) sendEmail(deps, "passkey added notice", passkeyAddedEmail(deps.config.APP_NAME, user.email, row.name));
  return passkeyView({ ...row, lastUsedAt: null });
}

export async function listPasskeys(deps: Pick<Deps, "passkeys">, caller: SignedIn) {
  return (await deps.passkeys.list(caller.userId)).map(passkeyView);
}

export async function renamePasskey(deps: Pick<Deps, "passkeys" | "securityLog">, caller: SignedIn, id: string, name: string) {
  if ((await deps.passkeys.rename(caller.userId, id, name.trim())) === 0) throw new AppError("NOT_FOUND");
  deps.securityLog.record("passkey_renamed", caller.userId);
}

/** Removes a passkey, never the account's last way to sign in (400). */
export async function removePasskey(deps: PasskeyDeps, caller: SignedIn, id: string, reauth: Reauthentication) {
  await requireRecentSignIn(deps, caller, reauth);
  const result = await deps.passkeys.delete(caller.userId, id);
  if (result === "not-found") throw new AppError("NOT_FOUND");
  if (result === "last-way-in")
    throw validationError({
      non_field_errors: ["This passkey is the account's last way to sign in: add another, or set a password, first."],
    });
  deps.securityLog.record("passkey_removed", caller.userId);
}
