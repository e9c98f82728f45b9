// Issuing tokens: a new session (refresh-token family) with its first pair, and access tokens.
import type { Deps } from "../env.ts";
import { signAccessToken, signRefreshToken, type TokenSettings } from "../lib/tokens.ts";
import { createSession, type NewSession } from "../stores/session-store.ts";

export interface TokenPair {
  access: string;
  refresh: string;
  token_type: "Bearer";
  expires_in: number;
}

export interface SessionUser {
  id: string;
  username: string;
  email: string;
  tokensValidAfter: Date | null;
}

export interface ClientInfo {
  userAgent: string;
  country: string;
}

export function tokenSettings(deps: Deps): TokenSettings {
  return { issuer: deps.config.JWT_ISSUER, audience: deps.config.JWT_AUDIENCE };
}

export function issueAccessToken(
  deps: Deps,
  user: { id: string; username: string; email: string },
  sessionId: string,
  nowMs: number,
): Promise<string> {
  return signAccessToken(deps.keys, tokenSettings(deps), {
    userId: user.id,
    username: user.username,
    email: user.email,
    sessionId,
    jti: deps.ids.uuid(),
    issuedAtMs: nowMs,
    ttlSeconds: deps.config.ACCESS_TOKEN_TTL_SECONDS,
  });
}

export function pair(deps: Deps, access: string, refresh: string): TokenPair {
  return { access, refresh, token_type: "Bearer", expires_in: deps.config.ACCESS_TOKEN_TTL_SECONDS };
}

/** A new session's Redis record and, once it is stored, the signing of its first pair. */
export function prepareSession(deps: Deps, user: SessionUser, client: ClientInfo) {
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
    userAgent: client.userAgent.slice(0, 256),
    country: client.country,
    validAfterMs: user.tokensValidAfter?.getTime() ?? 0,
  };
  const sign = async (): Promise<TokenPair> => {
    const [access, refresh] = await Promise.all([
      issueAccessToken(deps, user, sessionId, nowMs),
      signRefreshToken(deps.keys, tokenSettings(deps), { userId: user.id, sessionId, jti, issuedAtMs: nowMs, expiresAtMs }),
    ]);
    return pair(deps, access, refresh);
  };
  return { record, sign };
}

/** One login = one family: recorded in Redis (one round trip), then both tokens are signed. */
export async function startSession(deps: Deps, user: SessionUser, client: ClientInfo): Promise<TokenPair> {
  const session = prepareSession(deps, user, client);
  await createSession(deps.redis, session.record);
  return session.sign();
}
