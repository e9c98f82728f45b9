// Login: one MySQL read, one PBKDF2, one Redis round trip (the lockout gate folded into the
// session script on success, the failure count on failure). Unknown accounts and wrong passwords
// are indistinguishable, in the answer, the lockout and the time taken.
import type { Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import { hashPassword, verifyPassword } from "../lib/password-hash.ts";
import { parseMethods } from "../lib/two-factor.ts";
import type { LoginAttempt } from "../stores/login-store.ts";
import { captchaState, lockoutPolicy, nameLock, refuseWhenLocked } from "./abuse-guards.ts";
import { hashOptions } from "./password-policy.ts";
import { challengeSecondFactor, type SecondFactorRequired } from "./second-factor.ts";
import { prepareSession, type TokenPair } from "./token-pair.ts";

export type LoginIdentifier = { username: string } | { email: string } | { usernameOrEmail: string };

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

/** The name as typed, canonical: what the lockout counts (so it treats every name alike). */
function typedName(identifier: LoginIdentifier): string {
  if ("username" in identifier) return canonicalUsername(identifier.username);
  if ("email" in identifier) return canonicalEmail(identifier.email);
  const name = identifier.usernameOrEmail;
  return name.includes("@") ? canonicalEmail(name) : canonicalUsername(name);
}

export async function logIn(
  deps: Pick<
    Deps,
    "background" | "captcha" | "client" | "clock" | "config" | "ids" | "logins" | "mfa" | "securityLog" | "tokens" | "users"
  >,
  identifier: LoginIdentifier,
  password: string,
  captchaToken: string | undefined,
): Promise<TokenPair | SecondFactorRequired> {
  const options = hashOptions(deps.config);
  // A Turnstile token (when sent) is checked while MySQL is read: no added latency.
  const [user, captcha, lock] = await Promise.all([
    deps.users.findForLogin(lookupKeys(identifier)),
    captchaState(deps, captchaToken),
    nameLock(deps, "login", typedName(identifier)),
  ]);
  // Unknown users still cost one PBKDF2, so timing does not reveal whether the account exists.
  const check = await verifyPassword(password, user?.passwordHash ?? dummyHash(deps), options);
  const attempt: LoginAttempt = { lock, ipKey: deps.client.ipKey, captcha, policy: lockoutPolicy(deps.config) };

  if (!user || !check.valid) {
    const reply = await deps.logins.recordFailure(attempt, deps.clock.now().getTime());
    // Only counted failures are events: refused tries during a lockout cannot flood the history.
    const counted = reply.status === "failed" || (reply.status === "locked" && reply.started);
    if (counted) deps.securityLog.record("login_failed", user?.id);
    refuseWhenLocked(deps, reply, user?.id);
    throw new AppError("INVALID_CREDENTIALS");
  }

  if (parseMethods(user.twoFactorMethods).length > 0) return challengeSecondFactor(deps, user, attempt);
  const session = prepareSession(deps, user);
  // Even the right password is refused while the name is locked (but for a few solved challenges).
  refuseWhenLocked(deps, await deps.logins.openSession(session.record, attempt), user.id);
  const tokens = await session.sign();
  deps.securityLog.record("login_succeeded", user.id);
  const loggedInAt = deps.clock.now();
  // Last-login time and, when due, the rehash: written after the response.
  deps.background("recording the login", async () => {
    const rehashed = check.needsRehash ? await hashPassword(password, options) : undefined;
    await deps.users.recordLogin(user.id, loggedInAt, rehashed);
  });
  return tokens;
}
