// A new session (refresh-token family) with its first pair of tokens.
import type { Deps, SessionStartDeps } from "../deps.ts";
import { refuseDisabled } from "../lib/account-status.ts";
import { invalidTokenError } from "../lib/errors.ts";
import type { NewSession } from "../stores/session-store.ts";
import { deviceOfRequest } from "./new-device.ts";
import type { TokenPair } from "./token-issuer.ts";

export type { TokenPair };

export interface SessionUser {
  id: string;
  username: string;
  email: string;
  tokensValidAfter: Date | null;
  role?: string | null;
}

/** A new session's Redis record and, once it is stored, the signing of its first pair. */
/** The session records the request's user agent and country (deps.client), for the session list. */
export function prepareSession(deps: Pick<Deps, "client" | "clock" | "config" | "ids" | "tokens">, user: SessionUser) {
  const nowMs = deps.clock.now().getTime();
  const sessionId = deps.ids.uuid();
  const jti = deps.ids.uuid();
  const expiresAtMs = nowMs + deps.config.REFRESH_TOKEN_TTL_SECONDS * 1000;
  const record: NewSession = {
    userId: user.id,
    sessionId,
    jti,
    nowMs,
    expiresAtMs,
    username: user.username,
    email: user.email,
    userAgent: deps.client.userAgent.slice(0, 256),
    country: deps.client.country,
    validAfterMs: user.tokensValidAfter?.getTime() ?? 0,
    device: deviceOfRequest(deps),
  };
  const sign = async (): Promise<TokenPair> => {
    const [access, refresh] = await Promise.all([
      deps.tokens.access(user, sessionId, nowMs),
      deps.tokens.refresh({ userId: user.id, sessionId, jti, issuedAtMs: nowMs, expiresAtMs }),
    ]);
    return deps.tokens.pair(access, refresh);
  };
  return { record, sign };
}

/**
 * One login = one family: recorded in Redis (one round trip), then both tokens are signed. A
 * revocation that moved the user's valid-after past `user.tokensValidAfter` since it was read
 * (a concurrent logout-all or credential change) wins: no session, 401.
 */
export async function startSession(deps: SessionStartDeps, user: SessionUser): Promise<TokenPair> {
  return (await openSession(deps, user)).tokens;
}

/** startSession, saying whether the device and network are new for the user (a sign-in's notice). */
export async function openSession(deps: SessionStartDeps, user: SessionUser) {
  const session = prepareSession(deps, user);
  const created = await deps.sessions.create(session.record);
  if (created === "stale") throw invalidTokenError();
  return { tokens: await session.sign(), newDevice: created.newDevice };
}

/**
 * The session a credential change hands back (password change, 2FA changes), from the user's row
 * read again after the change: an admin may have disabled the account or changed its role while
 * the change was being checked (PBKDF2, breach lookups), and the change's own later
 * tokens_valid_after would otherwise let a session made from the old row pass.
 */
export async function startSessionAfterChange(deps: SessionStartDeps & Pick<Deps, "users">, userId: string): Promise<TokenPair> {
  const row = await deps.users.findById(userId);
  if (!row) throw invalidTokenError();
  refuseDisabled(row, deps.clock.now());
  return startSession(deps, row);
}
