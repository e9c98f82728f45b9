// Adding or removing a way to sign in (a passkey, a linked identity) needs the caller to prove it
// is still them: a sign-in of the last 10 minutes (with 2FA on, that sign-in passed the second
// factor), or the password and, while 2FA is on, a current second factor. So neither a stolen
// access token alone nor one with the password can plant a way in that skips the second step.
import type { Deps } from "../deps.ts";
import { AppError, invalidTokenError, validationError } from "../lib/errors.ts";
import { checkCurrentPassword, type SignedIn } from "./reauthentication.ts";
import { requireSecondFactorWhenOn, type SecondFactorProof, type SettingsDeps } from "./two-factor-service.ts";

const RECENT_SIGN_IN_MS = 10 * 60_000;

export type RecentSignInDeps = SettingsDeps & Pick<Deps, "sessions">;

/** How the caller proves it is still them: nothing (a recent sign-in), or the password (and a second factor while 2FA is on). */
export interface Reauthentication {
  password?: string;
  proof?: SecondFactorProof;
}

/**
 * The caller signed in less than 10 minutes ago, or proves the password now (a wrong one counts
 * toward the session's lockout); otherwise 401 REAUTHENTICATION_REQUIRED.
 */
export async function requireRecentSignIn(deps: RecentSignInDeps, caller: SignedIn, reauth: Reauthentication) {
  if (reauth.password !== undefined) {
    const { row, valid } = await checkCurrentPassword(deps, caller, reauth.password);
    if (!valid) throw validationError({ password: ["Incorrect password."] });
    await requireSecondFactorWhenOn(deps, caller, row, reauth.proof);
    return;
  }
  const startedAt = await deps.sessions.startedAt(caller.sessionId);
  if (startedAt === null) throw invalidTokenError();
  if (deps.clock.now().getTime() - startedAt > RECENT_SIGN_IN_MS)
    throw new AppError("REAUTHENTICATION_REQUIRED", { message: "sign in again, or send your password" });
}
