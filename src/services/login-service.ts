// Login: one MySQL read, one PBKDF2, one Redis round trip. Unknown accounts and wrong passwords
// are indistinguishable, in the answer and in the time taken.
import type { Deps } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import { hashPassword, verifyPassword } from "../lib/password-hash.ts";
import { findUserForLogin, recordLogin } from "../stores/user-store.ts";
import { hashOptions } from "./password-policy.ts";
import { type ClientInfo, startSession, type TokenPair } from "./token-pair.ts";

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

export async function logIn(deps: Deps, identifier: LoginIdentifier, password: string, client: ClientInfo): Promise<TokenPair> {
  const options = hashOptions(deps.config);
  const user = await findUserForLogin(deps.db, lookupKeys(identifier));
  // Unknown users still cost one PBKDF2, so timing does not reveal whether the account exists.
  const check = await verifyPassword(password, user?.passwordHash ?? dummyHash(deps), options);
  if (!user || !check.valid) throw new AppError("INVALID_CREDENTIALS");

  const tokens = await startSession(deps, user, client);
  const loggedInAt = deps.clock.now();
  // Last-login time and, when due, the rehash: written after the response.
  deps.background("recording the login", async () => {
    const rehashed = check.needsRehash ? await hashPassword(password, options) : undefined;
    await recordLogin(deps.db, user.id, loggedInAt, rehashed);
  });
  return tokens;
}
