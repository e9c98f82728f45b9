// Login: one MySQL read, one PBKDF2, one Redis round trip (the lockout gate folded into the
// session script on success, the failure count on failure). Unknown accounts and wrong passwords
// are indistinguishable, in the answer, the lockout and the time taken.
import type { Deps } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import { hashPassword, verifyPassword } from "../lib/password-hash.ts";
import { type LoginAttempt, type LoginGate, openLoginSession, recordLoginFailure } from "../stores/login-store.ts";
import { findUserForLogin, recordLogin } from "../stores/user-store.ts";
import { captchaState, coolingDown, lockoutPolicy } from "./abuse-guards.ts";
import { hashOptions } from "./password-policy.ts";
import { type ClientInfo, prepareSession, type TokenPair } from "./token-pair.ts";

export type LoginIdentifier = { username: string } | { email: string } | { usernameOrEmail: string };

/** A well-formed hash no password matches; verifying against it costs what a real one does. */
function dummyHash(deps: Deps): string {
  const zeros = "A".repeat(22);
  return `pbkdf2-sha256$${deps.config.PBKDF2_ITERATIONS}$${deps.config.PASSWORD_PEPPER ? "p" : "n"}$${zeros}$${"A".repeat(43)}`;
}

function lookupKeys(identifier: LoginIdentifier) {
  if ("username" in identifier) return { username: canonicalUsername(identifier.username) };
  if ("email" in identifier) return { email: canonicalEmail(identifier.email) };
  return { username: canonicalUsername(identifier.usernameOrEmail), email: canonicalEmail(identifier.usernameOrEmail) };
}

/** The lockout subject of a name that matches no account: counted exactly like a real one. */
function unknownSubject(identifier: LoginIdentifier): string {
  const keys = lookupKeys(identifier);
  return `unknown:login:${keys.username ?? keys.email}`;
}

function refuse(deps: Deps, gate: LoginGate, userId: string | undefined): void {
  if (gate.status === "captcha") throw new AppError("CAPTCHA_REQUIRED");
  if (gate.status === "locked") {
    if (gate.started) deps.securityLog.record("account_locked", userId);
    throw coolingDown(gate.retryAfterMs);
  }
}

export async function logIn(
  deps: Deps,
  identifier: LoginIdentifier,
  password: string,
  client: ClientInfo,
  captchaToken: string | undefined,
): Promise<TokenPair> {
  const options = hashOptions(deps.config);
  // A Turnstile token (when sent) is checked while MySQL is read: no added latency.
  const [user, captcha] = await Promise.all([
    findUserForLogin(deps.db, lookupKeys(identifier)),
    captchaState(deps, captchaToken),
  ]);
  // Unknown users still cost one PBKDF2, so timing does not reveal whether the account exists.
  const check = await verifyPassword(password, user?.passwordHash ?? dummyHash(deps), options);
  const attempt: LoginAttempt = {
    subject: user?.id ?? unknownSubject(identifier),
    ip: deps.client.ip,
    captcha,
    policy: lockoutPolicy(deps.config),
  };

  if (!user || !check.valid) {
    const gate = await recordLoginFailure(deps.redis, attempt, deps.clock.now().getTime());
    if (gate.status !== "captcha") deps.securityLog.record("login_failed", user?.id);
    refuse(deps, gate, user?.id);
    throw new AppError("INVALID_CREDENTIALS");
  }

  const session = prepareSession(deps, user, client);
  // Even the right password is refused while the account is locked (unless a challenge was solved).
  refuse(deps, await openLoginSession(deps.redis, session.record, attempt), user.id);
  const tokens = await session.sign();
  deps.securityLog.record("login_succeeded", user.id);
  const loggedInAt = deps.clock.now();
  // Last-login time and, when due, the rehash: written after the response.
  deps.background("recording the login", async () => {
    const rehashed = check.needsRehash ? await hashPassword(password, options) : undefined;
    await recordLogin(deps.db, user.id, loggedInAt, rehashed);
  });
  return tokens;
}
