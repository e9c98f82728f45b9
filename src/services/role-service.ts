// Roles: "user" or "admin" (the admin API). users.role is the truth; access tokens carry it (from
// the row at sign-in, from its Redis mirror at refresh). Changing it ends every session, so no
// token with the old role outlives the change: the same revocation as logout-all. Its deps are
// spelled out (no Deps import): `npm run admin:grant` runs it in Node, outside the worker.
import type { Clock } from "../lib/clock.ts";
import { AppError } from "../lib/errors.ts";
import type { Role } from "../lib/tokens.ts";
import type { SessionStore } from "../stores/session-store.ts";
import type { UserStore } from "../stores/user-store.ts";

export interface RoleDeps {
  clock: Clock;
  config: { REFRESH_TOKEN_TTL_SECONDS: number };
  sessions: Pick<SessionStore, "mirrorRole" | "revokeAll">;
  users: Pick<UserStore, "update" | "setTokensValidAfter">;
}

/** Sets the role: MySQL first (the truth, with tokens_valid_after), then the Redis mirror, then the sessions end. */
export async function changeRole(deps: RoleDeps, userId: string, role: Role): Promise<void> {
  const now = deps.clock.now();
  if ((await deps.users.update(userId, { role, updatedAt: now })) === 0) throw new AppError("NOT_FOUND");
  await deps.users.setTokensValidAfter(userId, now);
  await deps.sessions.mirrorRole(userId, role);
  // The revocation marker outlives every token issued before it (as revocationTtlMs in session-service.ts).
  await deps.sessions.revokeAll(userId, now.getTime(), (deps.config.REFRESH_TOKEN_TTL_SECONDS + 60) * 1000);
}
