// A signed-in user proving their password (or a code) again: password change, account deletion,
// email change, 2FA settings. Failures count toward the session's own lockout, so a stolen
// access token cannot be used to guess the password, and nobody's failed sign-ins (the sign-in
// budget of the account's names) can keep the owner from changing a password while signed in.
import type { Deps } from "../deps.ts";
import { invalidTokenError } from "../lib/errors.ts";
import { verifyPassword } from "../lib/password-hash.ts";
import type { Lockable } from "../stores/lockout-store.ts";
import { lockoutPolicy, refuseWhenLocked } from "./abuse-guards.ts";
import { hashOptions } from "./password-policy.ts";

/** Who is acting: the access token's user and session. */
export interface SignedIn {
  userId: string;
  sessionId: string;
}

export const sessionLock = (caller: SignedIn): Lockable => ({ scope: "session", subject: caller.sessionId });

/**
 * The session's lockout of second-factor checks, apart from its password checks: a right password
 * clears the password lockout, and must not clear the count of wrong codes sent with it (else a
 * stolen session and the password could guess codes without end).
 */
export const sessionCodeLock = (caller: SignedIn): Lockable => ({ scope: "session", subject: `${caller.sessionId}:code` });

/** Counts a re-check of `caller`'s session (its password, or with `lock`, its codes); 429 while that lockout runs. */
export async function countSessionCheck(
  deps: Pick<Deps, "clock" | "config" | "lockouts" | "securityLog">,
  caller: SignedIn,
  valid: boolean,
  lock: Lockable = sessionLock(caller),
): Promise<void> {
  const reply = await deps.lockouts.recordPasswordCheck(lock, valid, deps.clock.now().getTime(), lockoutPolicy(deps.config));
  refuseWhenLocked(deps, reply, caller.userId);
}

/** The user's row and whether `password` is theirs; 429 while the session's lockout runs. */
export async function checkCurrentPassword(
  deps: Pick<Deps, "clock" | "config" | "lockouts" | "securityLog" | "users">,
  caller: SignedIn,
  password: string,
) {
  const row = await deps.users.findById(caller.userId);
  if (!row) throw invalidTokenError();
  const check = await verifyPassword(password, row.passwordHash, hashOptions(deps.config));
  await countSessionCheck(deps, caller, check.valid);
  return { row, valid: check.valid };
}
