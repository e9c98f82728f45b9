// Sessions after login: refresh rotation with reuse detection, access from refresh, logout,
// logout everywhere, listing and revoking sessions.
import type { Deps } from "../deps.ts";
import { accessRef, type CheckedAccess, type UncheckedAccess } from "../lib/access.ts";
import { AppError, invalidTokenError } from "../lib/errors.ts";
import type { AccessClaims, RefreshClaims } from "../lib/tokens.ts";
import { TokenError } from "../lib/tokens.ts";
import type { Lockable } from "../stores/lockout-store.ts";
import type { SessionRecord } from "../stores/session-store.ts";
import type { AuditTrail } from "./security-log.ts";
import type { TokenPair } from "./token-issuer.ts";

async function readRefreshToken(deps: Pick<Deps, "tokens">, token: unknown): Promise<RefreshClaims> {
  try {
    return await deps.tokens.readRefresh(token);
  } catch (error) {
    if (error instanceof TokenError) throw new AppError("INVALID_REFRESH_TOKEN");
    throw error;
  }
}

const refreshKey = (claims: RefreshClaims) => ({ userId: claims.sub, sessionId: claims.sid, jti: claims.jti });
const graceMs = (deps: Pick<Deps, "config">) => deps.config.REFRESH_REUSE_GRACE_SECONDS * 1000;

/** get-refresh: the presented token is spent and its successor returned (1 Redis round trip). */
export async function rotateTokens(
  deps: Pick<Deps, "clock" | "config" | "ids" | "sessions" | "tokens">,
  refreshToken: unknown,
): Promise<TokenPair> {
  const claims = await readRefreshToken(deps, refreshToken);
  const nowMs = deps.clock.now().getTime();
  const result = await deps.sessions.rotateRefresh(refreshKey(claims), deps.ids.uuid(), nowMs, graceMs(deps));
  if (result.status !== "ok") throw new AppError("INVALID_REFRESH_TOKEN");
  const user = { id: claims.sub, username: result.username, email: result.email, role: result.role };
  const [refresh, access] = await Promise.all([
    deps.tokens.refresh({
      userId: claims.sub,
      sessionId: claims.sid,
      jti: result.jti,
      issuedAtMs: result.issuedAtMs,
      expiresAtMs: result.expiresAtMs,
    }),
    deps.tokens.access(user, claims.sid, nowMs),
  ]);
  return deps.tokens.pair(access, refresh);
}

/** get-access: a new access token; the refresh token stays as it is (1 Redis round trip). */
export async function accessFromRefresh(
  deps: Pick<Deps, "clock" | "config" | "ids" | "sessions" | "tokens">,
  refreshToken: unknown,
): Promise<{ access: string; token_type: "Bearer"; expires_in: number }> {
  const claims = await readRefreshToken(deps, refreshToken);
  const nowMs = deps.clock.now().getTime();
  const result = await deps.sessions.useRefresh(refreshKey(claims), nowMs, graceMs(deps));
  if (result.status !== "ok") throw new AppError("INVALID_REFRESH_TOKEN");
  const holder = { id: claims.sub, username: result.username, email: result.email, role: result.role };
  const access = await deps.tokens.access(holder, claims.sid, nowMs);
  return { access, token_type: "Bearer", expires_in: deps.tokens.accessTtlSeconds };
}

/** Whether a verified access token was revoked since (logout denylist, tokens-valid-after): 1 Redis round trip. */
export function accessRevoked(deps: Pick<Deps, "sessions">, claims: AccessClaims): Promise<boolean> {
  return deps.sessions.accessTokenRevoked(accessRef(claims));
}

/**
 * Logout: the refresh token's family and the presented access token die (1 Redis round trip). The
 * access token's revocation check happens in the logout script itself.
 */
export async function logOut(
  deps: Pick<Deps, "clock" | "sessions" | "tokens">,
  auth: UncheckedAccess,
  refreshToken: unknown,
): Promise<void> {
  const claims = await readRefreshToken(deps, refreshToken);
  // The refresh token must be the caller's own.
  if (claims.sub !== auth.sub) throw new AppError("INVALID_REFRESH_TOKEN");
  const nowMs = deps.clock.now().getTime();
  const result = await deps.sessions.logout({ ...accessRef(auth), remainingMs: auth.exp * 1000 - nowMs }, claims.sid);
  if (result === "token-revoked") throw invalidTokenError();
  if (result === "not-found") throw new AppError("INVALID_REFRESH_TOKEN");
}

/**
 * Every session and every token issued until `at` dies, in Redis: the families go, and the
 * user's tokens-valid-after mirror moves to `at` (kept as long as any older token can live).
 * MySQL's tokens_valid_after is the source of truth and is written by the caller first.
 */
export async function revokeSessionsInRedis(
  deps: Pick<Deps, "config" | "sessions">,
  userId: string,
  at: Date,
  options: { liftLockouts?: Lockable[] } = {},
): Promise<void> {
  await deps.sessions.revokeAll(userId, at.getTime(), revocationTtlMs(deps), options.liftLockouts);
}

/** Every session of the user ends (its access tokens with it); the valid-after mirror is left as it is. */
export async function endSessionsInRedis(deps: Pick<Deps, "config" | "sessions">, userId: string): Promise<void> {
  await deps.sessions.revokeAll(userId, 0, revocationTtlMs(deps));
}

/** How long a revocation marker must live: as long as any token issued before it could. */
export function revocationTtlMs(deps: Pick<Deps, "config">): number {
  return (deps.config.REFRESH_TOKEN_TTL_SECONDS + 60) * 1000;
}

/** logout-all: MySQL first (source of truth), then the Redis mirror and the families. */
export async function revokeEverySession(
  deps: Pick<Deps, "clock" | "config" | "securityLog" | "sessions" | "users">,
  userId: string,
  /** When an operator ends them (the admin API). */
  audit?: AuditTrail,
): Promise<Date> {
  const now = deps.clock.now();
  await deps.users.setTokensValidAfter(userId, now);
  await revokeSessionsInRedis(deps, userId, now);
  deps.securityLog.record("sessions_revoked", userId, audit);
  return now;
}

/** The caller's sessions: one Redis script, which also does the access token's revocation check. */
export async function sessionsOf(deps: Pick<Deps, "clock" | "sessions">, auth: UncheckedAccess) {
  const sessions = await deps.sessions.list(accessRef(auth), deps.clock.now().getTime());
  if (sessions === "token-revoked") throw invalidTokenError();
  return sessionViews(sessions).map((session) => ({ ...session, current: session.id === auth.sid }));
}

/** Sessions as the API shows them, the most recently used first. */
export function sessionViews(sessions: SessionRecord[]) {
  return sessions
    .sort((a, b) => b.lastUsedAtMs - a.lastUsedAtMs)
    .map((session) => ({
      id: session.id,
      created_at: new Date(session.createdAtMs).toISOString(),
      last_used_at: new Date(session.lastUsedAtMs).toISOString(),
      user_agent: session.userAgent || null,
      country: session.country || null,
    }));
}

export async function revokeOwnSession(
  deps: Pick<Deps, "securityLog" | "sessions">,
  auth: CheckedAccess,
  sessionId: string,
): Promise<void> {
  // Someone else's session and an unknown id look the same: 404.
  if (!(await deps.sessions.revoke(auth.sub, sessionId))) throw new AppError("NOT_FOUND");
  deps.securityLog.record("sessions_revoked", auth.sub);
}
