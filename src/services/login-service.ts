// Login: one MySQL read, one PBKDF2, one Redis script. The script's guard (a known device's own
// lockout, else the budget of the name typed) decides before it looks at the password's outcome,
// and everything sent to it is prepared alike for a right and a wrong password, so a refused
// login answers the same, in the same time, whatever it carried. Unknown accounts and wrong
// passwords are indistinguishable, in the answer, the guard and the time taken.
import type { Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import { hashPassword, verifyPassword } from "../lib/password-hash.ts";
import { parseMethods } from "../lib/two-factor.ts";
import type { LoginAttempt } from "../stores/login-store.ts";
import { captchaState, lockoutPolicy, nameLock, refuseWhenLocked } from "./abuse-guards.ts";
import { issueDeviceToken, loginGuard, recognizeDevice } from "./known-devices.ts";
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

function lookupKeys(identifier: LoginIdentifier) {
  if ("username" in identifier) return { username: canonicalUsername(identifier.username) };
  if ("email" in identifier) return { email: canonicalEmail(identifier.email) };
  return { username: canonicalUsername(identifier.usernameOrEmail), email: canonicalEmail(identifier.usernameOrEmail) };
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
  deps: Pick<
    Deps,
    "background" | "captcha" | "client" | "clock" | "config" | "ids" | "logins" | "mfa" | "securityLog" | "tokens" | "users"
  >,
  identifier: LoginIdentifier,
  password: string,
  credentials: { captchaToken?: string; deviceToken?: string },
): Promise<SignIn<TokenPair | SecondFactorRequired>> {
  const options = hashOptions(deps.config);
  // A Turnstile token (when sent) is checked while MySQL is read: no added latency.
  const [user, captcha, nameBudget] = await Promise.all([
    deps.users.findForLogin(lookupKeys(identifier)),
    captchaState(deps, credentials.captchaToken),
    nameLock(deps, typedName(identifier)),
  ]);
  // Unknown users still cost one PBKDF2, so timing does not reveal whether the account exists.
  const [deviceId, check] = await Promise.all([
    recognizeDevice(deps, user, credentials.deviceToken),
    verifyPassword(password, user?.passwordHash ?? dummyHash(deps), options),
  ]);
  const attempt: LoginAttempt = {
    guard: loginGuard(nameBudget, user?.id, deviceId),
    ipKey: deps.client.ipKey,
    captcha,
    policy: lockoutPolicy(deps.config),
    requestId: deps.ids.uuid(),
  };
  // Prepared whatever the password: what happens next depends on the account, never on the secret.
  const session = prepareSession(deps, user ?? NOBODY);
  const challenge =
    user && parseMethods(user.twoFactorMethods).length > 0 ? await prepareChallenge(deps, user, deviceId) : undefined;
  const reply = await deps.logins.attempt(
    { valid: Boolean(user) && check.valid, session: session.record, challenge: challenge?.stored },
    attempt,
  );
  // Only counted failures are events: refused tries cannot flood the history.
  if (reply.status === "failed" || (reply.status === "locked" && reply.started))
    deps.securityLog.record("login_failed", user?.id);
  refuseWhenLocked(deps, reply, user?.id);
  if (reply.status !== "ok" || !user) throw new AppError("INVALID_CREDENTIALS");

  if (challenge) return { result: challenge.answer };
  const [tokens, deviceToken] = await Promise.all([session.sign(), issueDeviceToken(deps, user.id, deviceId)]);
  deps.securityLog.record("login_succeeded", user.id);
  const loggedInAt = deps.clock.now();
  // Last-login time and, when due, the rehash: written after the response.
  deps.background("recording the login", async () => {
    const rehashed = check.needsRehash ? await hashPassword(password, options) : undefined;
    await deps.users.recordLogin(user.id, loggedInAt, rehashed);
  });
  return { result: tokens, deviceToken };
}
