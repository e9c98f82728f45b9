// Session (refresh-token family) state and access-token revocation in Redis. Every function is
// one round trip.
import type { Redis } from "@upstash/redis/cloudflare";
import type { AccessRef } from "../lib/access.ts";
import { bindTo } from "./bind.ts";
import type { Lockable } from "./lockout-store.ts";
import { reachRedis, runScript } from "./redis.ts";
import {
  deniedAccessKey,
  familyKey,
  lockoutKey,
  otherUserKeys,
  roleKey,
  SESSION_PREFIX,
  userSessionsKey,
  validAfterKey,
} from "./redis-keys.ts";
import {
  ACCESS_STATE,
  CREATE_SESSION,
  DELETE_USER_STATE,
  LIST_SESSIONS,
  LIST_USER_SESSIONS,
  LOGOUT,
  REVOKE_ALL_SESSIONS,
  REVOKE_SESSION,
  ROTATE_REFRESH,
  UPDATE_SESSION_EMAILS,
  USE_REFRESH,
} from "./session-scripts.ts";

export interface NewSession {
  userId: string;
  sessionId: string;
  jti: string;
  nowMs: number;
  expiresAtMs: number;
  username: string;
  email: string;
  userAgent: string;
  country: string;
  /** MySQL's tokens_valid_after (ms, 0 when unset), re-mirrored into Redis. */
  validAfterMs: number;
  /**
   * The sign-in's device digest (lib/device-fingerprint.ts), "" when new-device notices are off.
   * Every script that creates a session takes it as its LAST argument (CREATE_SESSION_STEPS).
   */
  device: string;
}

export const sessionKeys = (session: NewSession) => [
  familyKey(session.sessionId),
  userSessionsKey(session.userId),
  validAfterKey(session.userId),
];

export function sessionScriptArgs(session: NewSession): string[] {
  const ttlMs = Math.max(1, session.expiresAtMs - session.nowMs);
  return [
    session.userId,
    session.sessionId,
    session.jti,
    String(session.nowMs),
    String(session.expiresAtMs),
    session.username,
    session.email,
    session.userAgent,
    session.country,
    String(ttlMs),
    String(session.validAfterMs),
  ];
}

/** "stale" when a revocation since the caller's MySQL read makes the session stale: nothing was created. */
export async function createSession(redis: Redis, session: NewSession): Promise<"stale" | { newDevice: boolean }> {
  const reply = Number(
    await reachRedis(runScript(redis, CREATE_SESSION, sessionKeys(session), [...sessionScriptArgs(session), session.device])),
  );
  return reply === 0 ? "stale" : { newDevice: reply === 2 };
}

const familyKeys = (userId: string, sessionId: string) => [familyKey(sessionId), userSessionsKey(userId), validAfterKey(userId)];

export type RotateResult =
  | { status: "ok"; jti: string; issuedAtMs: number; expiresAtMs: number; username: string; email: string; role: string }
  | { status: "invalid" | "reused" };

export async function rotateRefresh(
  redis: Redis,
  token: { userId: string; sessionId: string; jti: string },
  newJti: string,
  nowMs: number,
  graceMs: number,
): Promise<RotateResult> {
  const reply = await reachRedis(
    runScript<string[]>(redis, ROTATE_REFRESH, familyKeys(token.userId, token.sessionId), [
      token.userId,
      token.sessionId,
      token.jti,
      newJti,
      String(nowMs),
      String(graceMs),
    ]),
  );
  if (reply[0] !== "ok") return { status: reply[0] === "reused" ? "reused" : "invalid" };
  const [, jti, issuedAt, expiresAt, username, email, role] = reply;
  return {
    status: "ok",
    jti: String(jti),
    issuedAtMs: Number(issuedAt),
    expiresAtMs: Number(expiresAt),
    username: String(username),
    email: String(email),
    role: String(role ?? "user"),
  };
}

export type UseResult = { status: "ok"; username: string; email: string; role: string } | { status: "invalid" | "reused" };

export async function useRefresh(
  redis: Redis,
  token: { userId: string; sessionId: string; jti: string },
  nowMs: number,
  graceMs: number,
): Promise<UseResult> {
  const reply = await reachRedis(
    runScript<string[]>(redis, USE_REFRESH, familyKeys(token.userId, token.sessionId), [
      token.userId,
      token.sessionId,
      token.jti,
      String(nowMs),
      String(graceMs),
    ]),
  );
  if (reply[0] !== "ok") return { status: reply[0] === "reused" ? "reused" : "invalid" };
  return { status: "ok", username: String(reply[1]), email: String(reply[2]), role: String(reply[3] ?? "user") };
}

/** The keys of the revocation check (ACCESS_REVOKED): denied-access, valid-after, the token's session. */
export const accessKeys = (access: AccessRef) => [
  deniedAccessKey(access.jti),
  validAfterKey(access.userId),
  familyKey(access.sessionId),
];

/** The access token's revocation state: denylisted, issued before the user's valid-after, or its session gone. */
export async function accessTokenRevoked(redis: Redis, access: AccessRef): Promise<boolean> {
  const reply = await reachRedis(runScript(redis, ACCESS_STATE, accessKeys(access), [access.userId, String(access.issuedAtMs)]));
  return Number(reply) !== 0;
}

export type LogoutResult = "ok" | "token-revoked" | "not-found";

export async function logoutSession(
  redis: Redis,
  access: AccessRef & { remainingMs: number },
  refreshSessionId: string,
): Promise<LogoutResult> {
  const keys = [
    familyKey(refreshSessionId),
    userSessionsKey(access.userId),
    validAfterKey(access.userId),
    deniedAccessKey(access.jti),
    familyKey(access.sessionId),
  ];
  const reply = await reachRedis(
    runScript<string>(redis, LOGOUT, keys, [
      access.userId,
      refreshSessionId,
      String(access.issuedAtMs),
      String(Math.max(1000, access.remainingMs)),
    ]),
  );
  return reply === "ok" || reply === "token-revoked" ? reply : "not-found";
}

export interface SessionRecord {
  id: string;
  createdAtMs: number;
  lastUsedAtMs: number;
  userAgent: string;
  country: string;
}

/** The user's live sessions, or "token-revoked" when the caller's access token was revoked. */
export async function listSessions(redis: Redis, access: AccessRef, nowMs: number): Promise<SessionRecord[] | "token-revoked"> {
  const rows = await reachRedis(
    runScript<string[][] | string>(
      redis,
      LIST_SESSIONS,
      [userSessionsKey(access.userId), validAfterKey(access.userId), deniedAccessKey(access.jti), familyKey(access.sessionId)],
      [String(nowMs), SESSION_PREFIX, String(access.issuedAtMs), access.userId],
    ),
  );
  if (!Array.isArray(rows)) return "token-revoked";
  return rows.map(sessionRecord);
}

/** A user's live sessions, for an operator (the admin API): no caller's token to check. */
export async function listSessionsOf(redis: Redis, userId: string, nowMs: number): Promise<SessionRecord[]> {
  const rows = await reachRedis(
    runScript<string[][]>(
      redis,
      LIST_USER_SESSIONS,
      [userSessionsKey(userId), validAfterKey(userId)],
      [String(nowMs), SESSION_PREFIX],
    ),
  );
  return rows.map(sessionRecord);
}

const sessionRecord = ([id, created, used, userAgent, country]: string[]): SessionRecord => ({
  id: String(id),
  createdAtMs: Number(created),
  lastUsedAtMs: Number(used),
  userAgent: String(userAgent ?? ""),
  country: String(country ?? ""),
});

export async function revokeSession(redis: Redis, userId: string, sessionId: string): Promise<boolean> {
  const reply = await reachRedis(
    runScript<number>(redis, REVOKE_SESSION, [familyKey(sessionId), userSessionsKey(userId)], [userId, sessionId]),
  );
  return Number(reply) === 1;
}

/** `lockouts` lifted in the same script (a password reset proves the owner is back). */
/** The role refreshed access tokens carry (user:<uid>:role): set for an admin, removed for a user. */
async function mirrorRole(redis: Redis, userId: string, role: "user" | "admin"): Promise<void> {
  if (role === "admin") await reachRedis(redis.set(roleKey(userId), "admin"));
  else await reachRedis(redis.del(roleKey(userId)));
}

export async function revokeAllSessions(
  redis: Redis,
  userId: string,
  validAfterMs: number,
  ttlMs: number,
  lockouts: Lockable[] = [],
): Promise<void> {
  await reachRedis(
    runScript(
      redis,
      REVOKE_ALL_SESSIONS,
      [userSessionsKey(userId), validAfterKey(userId), ...lockouts.map(lockoutKey)],
      [String(validAfterMs), String(ttlMs), SESSION_PREFIX],
    ),
  );
}

const TOMBSTONE = String(Number.MAX_SAFE_INTEGER);

export async function deleteUserState(redis: Redis, userId: string, ttlMs: number): Promise<void> {
  await reachRedis(
    runScript(
      redis,
      DELETE_USER_STATE,
      [userSessionsKey(userId), validAfterKey(userId), ...otherUserKeys(userId)],
      [String(ttlMs), SESSION_PREFIX, TOMBSTONE],
    ),
  );
}

export async function updateSessionEmails(redis: Redis, userId: string, email: string): Promise<void> {
  await reachRedis(runScript(redis, UPDATE_SESSION_EMAILS, [userSessionsKey(userId)], [email, SESSION_PREFIX]));
}

/** Sessions and refresh tokens in Redis, bound to this request's connection. */
/** When the session (refresh family) began, i.e. when its user signed in; null when it is gone. */
export async function sessionStartedAt(redis: Redis, sessionId: string): Promise<number | null> {
  const created = await reachRedis(redis.hget<string>(familyKey(sessionId), "created"));
  return created ? Number(created) : null;
}

export const sessionStore = (redis: Redis) =>
  bindTo(redis, {
    create: createSession,
    rotateRefresh,
    useRefresh,
    accessTokenRevoked,
    logout: logoutSession,
    list: listSessions,
    listOf: listSessionsOf,
    revoke: revokeSession,
    revokeAll: revokeAllSessions,
    mirrorRole,
    deleteUserState,
    updateEmails: updateSessionEmails,
    startedAt: sessionStartedAt,
  });
export type SessionStore = ReturnType<typeof sessionStore>;
