// A signed-in user proving their password again (password change, account deletion, email
// change). Wrong passwords count toward the same lockout as logins by the account's username, so
// a stolen access token cannot be used to guess the password.
import type { Deps } from "../deps.ts";
import { invalidTokenError } from "../lib/errors.ts";
import { verifyPassword } from "../lib/password-hash.ts";
import { lockoutPolicy, nameLock, refuseWhenLocked } from "./abuse-guards.ts";
import { hashOptions } from "./password-policy.ts";

/** The user's row and whether `password` is theirs; 429 while their login is locked. */
export async function checkCurrentPassword(
  deps: Pick<Deps, "clock" | "config" | "lockouts" | "securityLog" | "users">,
  userId: string,
  password: string,
) {
  const row = await deps.users.findById(userId);
  if (!row) throw invalidTokenError();
  const [check, lock] = await Promise.all([
    verifyPassword(password, row.passwordHash, hashOptions(deps.config)),
    nameLock(deps, "login", row.usernameCanonical),
  ]);
  const reply = await deps.lockouts.recordPasswordCheck(
    lock,
    check.valid,
    deps.clock.now().getTime(),
    lockoutPolicy(deps.config),
  );
  refuseWhenLocked(deps, reply, row.id);
  return { row, valid: check.valid };
}
