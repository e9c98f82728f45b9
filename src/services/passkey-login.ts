// Signing in with a passkey: options (a challenge, for any account or for the one a username
// names), then the browser's assertion. A user-verified passkey is two factors in one (something
// held, unlocked by something known or something one is), so no second-factor step follows.
// Verifying costs one MySQL read (the passkey and its user) and one Redis script (the challenge
// spent, the session opened); the sign count and last use are written after the response.

import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { Deps } from "../deps.ts";
import { isDisabled, refuseDisabled } from "../lib/account-status.ts";
import { AppError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import { recordSignIn, type SignInRecordDeps } from "./new-device.ts";
import { checkAssertion, namedPasskey } from "./passkey-assertion.ts";
import { answeredChallenge, CHALLENGE_TTL_MS, relyingParty, webauthnLibrary } from "./passkey-rules.ts";
import { prepareSession, type TokenPair } from "./token-pair.ts";

/** A challenge bound to an account no credential belongs to: an unknown username's sign-in fails like a wrong passkey. */
const NOBODY = "-";

/**
 * Options for navigator.credentials.get(). Without a username any of the site's passkeys may
 * answer (the browser offers them, also as autofill); with one, only that account's. The answer
 * is the same for a name that matches no account: no list of credentials, a fresh challenge.
 */
export async function startPasskeySignIn(
  deps: Pick<Deps, "config" | "passkeyChallenges" | "users">,
  username: string | undefined,
) {
  let boundTo = "";
  if (username !== undefined) {
    const name = username.includes("@") ? { email: canonicalEmail(username) } : { username: canonicalUsername(username) };
    boundTo = (await deps.users.findForLogin(name))?.id ?? NOBODY;
  }
  const { generateAuthenticationOptions } = await webauthnLibrary();
  const options = await generateAuthenticationOptions({
    rpID: relyingParty(deps.config).id,
    userVerification: "required",
    timeout: CHALLENGE_TTL_MS,
  });
  await deps.passkeyChallenges.keep(options.challenge, "login", boundTo, CHALLENGE_TTL_MS);
  return options;
}

const refused = () => new AppError("INVALID_CREDENTIALS", { message: "the passkey was not accepted" });

type SignInDeps = SignInRecordDeps &
  Pick<
    Deps,
    | "background"
    | "client"
    | "clock"
    | "config"
    | "ids"
    | "log"
    | "passkeyChallenges"
    | "passkeys"
    | "securityLog"
    | "tokens"
    | "users"
  >;

/** Verifies an assertion and opens a session; every refusal is the same 401 and spends the challenge. */
export async function finishPasskeySignIn(deps: SignInDeps, response: AuthenticationResponseJSON): Promise<TokenPair> {
  const challenge = answeredChallenge(response.response.clientDataJSON);
  if (!challenge) throw refused();
  const spendChallenge = () => deps.passkeyChallenges.take(challenge);
  const found = await namedPasskey(deps, response);
  if (!found) {
    await spendChallenge();
    throw refused();
  }
  const { passkey, user } = found;
  const check = await checkAssertion(deps, passkey, response, challenge);
  if (check.status !== "valid") {
    // A replay of an assertion that worked once also shows an old count: only a live challenge makes it a clone.
    const live = await spendChallenge();
    deps.securityLog.record(check.status === "cloned" && live ? "passkey_clone_suspected" : "passkey_login_failed", user.id);
    throw refused();
  }
  const newCount = check.newCount;
  if (isDisabled(user, deps.clock.now())) {
    await spendChallenge();
    refuseDisabled(user, deps.clock.now());
  }
  const session = prepareSession(deps, user);
  const outcome = await deps.passkeyChallenges.signIn(challenge, session.record);
  if (outcome !== "ok" && outcome !== "ok-new-device") {
    if (outcome === "other-user") deps.securityLog.record("passkey_login_failed", user.id);
    throw refused();
  }
  const tokens = await session.sign();
  recordSignIn(deps, user, outcome === "ok-new-device");
  const at = deps.clock.now();
  deps.background("recording the passkey's use", async () => {
    await Promise.all([deps.passkeys.recordUse(passkey.id, newCount, at), deps.users.recordLogin(user.id, at)]);
  });
  return tokens;
}
