// Login: one MySQL read alongside one Redis read of the guards, one PBKDF2, one Redis script.
// The guard (a known device's own lockout, else the budget of the name typed) is read before the
// password is looked at: a refused login evaluates nothing it carried and answers the same,
// right or wrong. The script decides again, atomically, before it reads the password's outcome,
// so concurrent guesses cannot overrun a budget. Unknown accounts and wrong passwords are
// indistinguishable, in the answer, the guard and the time taken.

import type { Deps } from "../deps.ts";
import { accountDisabled, isDisabled } from "../lib/account-status.ts";
import { AppError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import { hashPassword, verifyPassword } from "../lib/password-hash.ts";
import { parseMethods } from "../lib/two-factor.ts";
import type { LoginAttempt } from "../stores/login-store.ts";
import { captchaState, coolingDown, lockoutPolicy, nameLock, refuseWhenLocked } from "./abuse-guards.ts";
import { claimedDeviceLock, issueDeviceToken, loginGuard, recognizeDevice } from "./known-devices.ts";
import { recordSignIn, type SignInRecordDeps } from "./new-device.ts";
import { hashOptions } from "./password-policy.ts";
import { prepareChallenge, type SecondFactorRequired } from "./second-factor.ts";
import { prepareSession, type TokenPair } from "./token-pair.ts";

export type LoginIdentifier = { username: string } | { email: string } | { usernameOrEmail: string };

/** A completed or half-completed sign-in; a completed one carries the device's fresh token. */
export interface SignIn<Result> {
  result: Result;
  deviceToken?: string;
}

/** A well-formed hash no password matches; verifying against it costs what a real one does. */
function dummyHash(deps: Pick<Deps, "config">): string {
  const zeros = "A".repeat(22);
  return `pbkdf2-sha256$${deps.config.PBKDF2_ITERATIONS}$${deps.config.PASSWORD_PEPPER ? "p" : "n"}$${zeros}$${"A".repeat(43)}`;
}

/** What to look up; a name with "@" (HTTP Basic) is an email first (usernames cannot contain one). */
function lookupKeys(identifier: LoginIdentifier) {
  if ("username" in identifier) return { username: canonicalUsername(identifier.username) };
  if ("email" in identifier) return { email: canonicalEmail(identifier.email) };
  const name = identifier.usernameOrEmail;
  return {
    username: canonicalUsername(name),
    email: canonicalEmail(name),
    prefer: name.includes("@") ? ("email" as const) : ("username" as const),
  };
}

/** The name as typed, canonical: what the budget counts (so it treats every name alike). */
function typedName(identifier: LoginIdentifier): string {
  if ("username" in identifier) return canonicalUsername(identifier.username);
  if ("email" in identifier) return canonicalEmail(identifier.email);
  const name = identifier.usernameOrEmail;
  return name.includes("@") ? canonicalEmail(name) : canonicalUsername(name);
}

const NOBODY = { id: "", username: "", email: "", tokensValidAfter: null };

export async function logIn(
  deps: SignInRecordDeps &
    Pick<
      Deps,
      "background" | "captcha" | "client" | "clock" | "config" | "ids" | "logins" | "mfa" | "securityLog" | "tokens" | "users"
    >,
  identifier: LoginIdentifier,
  password: string,
  credentials: { captchaToken?: string; deviceToken?: string },
): Promise<SignIn<TokenPair | SecondFactorRequired>> {
  const options = hashOptions(deps.config);
  const policy = lockoutPolicy(deps.config);
  const nameBudget = await nameLock(deps, typedName(identifier));
  // The guards are read and a Turnstile token (when sent) is checked while MySQL is read.
  const [user, captcha, gate] = await Promise.all([
    deps.users.findForLogin(lookupKeys(identifier)),
    captchaState(deps, credentials.captchaToken),
    deps.logins.gate(
      { budget: nameBudget, device: claimedDeviceLock(credentials.deviceToken) },
      deps.clock.now().getTime(),
      policy,
    ),
  ]);
  const deviceId = await recognizeDevice(deps, user, credentials.deviceToken);
  const guard = loginGuard(nameBudget, user?.id, deviceId);
  // Refused before the password is looked at (the script decides again, atomically).
  const waitMs = guard.kind === "device" ? gate.deviceWaitMs : gate.budgetWaitMs;
  if (waitMs > 0) throw coolingDown(waitMs);
  // Unknown users still cost one PBKDF2, so timing does not reveal whether the account exists.
  const check = await verifyPassword(password, user?.passwordHash ?? dummyHash(deps), options);
  // A disabled account goes through the guards (lockout, Turnstile) like any other, and its right
  // password opens nothing: it is refused only once the script accepted it, so disabling an
  // account gives a guesser no way around the guards and tells them nothing.
  const disabled = user !== null && isDisabled(user, deps.clock.now());
  const attempt: LoginAttempt = { guard, ipKey: deps.client.ipKey, captcha, policy, requestId: deps.ids.uuid() };
  // Prepared whatever the password: what happens next depends on the account, never on the secret.
  const session = prepareSession(deps, user ?? NOBODY);
  const challenge =
    user && parseMethods(user.twoFactorMethods).length > 0 ? await prepareChallenge(deps, user, deviceId) : undefined;
  const reply = await deps.logins.attempt(
    { valid: Boolean(user) && check.valid, session: session.record, challenge: challenge?.stored, opensNothing: disabled },
    attempt,
  );
  // Only counted failures are events: refused tries cannot flood the history.
  if (reply.status === "failed" || (reply.status === "locked" && reply.started))
    deps.securityLog.record("login_failed", user?.id);
  // Stale: a password change or logout-all won the race with this login; its password is old.
  if (reply.status === "stale") throw new AppError("INVALID_CREDENTIALS");
  refuseWhenLocked(deps, reply, user?.id);
  if (reply.status !== "ok" || !user) throw new AppError("INVALID_CREDENTIALS");
  if (disabled) throw accountDisabled();

  if (challenge) return { result: challenge.answer };
  const [tokens, deviceToken] = await Promise.all([session.sign(), issueDeviceToken(deps, user.id, deviceId)]);
  recordSignIn(deps, user, reply.newDevice === true);
  const loggedInAt = deps.clock.now();
  // Last-login time and, when due, the rehash: written after the response.
  deps.background("recording the login", async () => {
    const rehashed = check.needsRehash ? await hashPassword(password, options) : undefined;
    await deps.users.recordLogin(user.id, loggedInAt, rehashed);
  });
  return { result: tokens, deviceToken };
}
