// Password login's Redis side: one script on success (lockout gate + new session), one on failure.
import type { Redis } from "@upstash/redis/cloudflare";
import { bindTo } from "./bind.ts";
import {
  type CaptchaState,
  type Lockable,
  type LockoutPolicy,
  type LockoutReply,
  lockoutArgs,
  lockoutReply,
} from "./lockout-store.ts";
import { LOGIN_FAILED, LOGIN_SESSION } from "./login-scripts.ts";
import { reachRedis, runScript } from "./redis.ts";
import { ipFailuresKey, lockoutKey } from "./redis-keys.ts";
import { type NewSession, sessionKeys, sessionScriptArgs } from "./session-store.ts";

export interface LoginAttempt {
  /** The name as typed (a keyed digest of it): known and unknown accounts are counted alike. */
  lock: Lockable;
  /** The client's IP key (an IPv6 /64), for the failures that make Turnstile required. */
  ipKey: string;
  captcha: CaptchaState;
  policy: LockoutPolicy;
}

const keysOf = (attempt: LoginAttempt) => [lockoutKey(attempt.lock), ipFailuresKey(attempt.ipKey)];

/** The right password: creates the session unless a lockout or a required challenge stands in the way. */
export async function openLoginSession(redis: Redis, session: NewSession, attempt: LoginAttempt): Promise<LockoutReply> {
  const keys = [...sessionKeys(session), ...keysOf(attempt)];
  const args = [...sessionScriptArgs(session), attempt.captcha, ...lockoutArgs(attempt.policy)];
  return lockoutReply(await reachRedis(runScript<(string | number)[]>(redis, LOGIN_SESSION, keys, args)));
}

/** A wrong password or an unknown account: counts the failure (outside a lockout). */
export async function recordLoginFailure(redis: Redis, attempt: LoginAttempt, nowMs: number): Promise<LockoutReply> {
  const args = [String(nowMs), attempt.captcha, ...lockoutArgs(attempt.policy)];
  return lockoutReply(await reachRedis(runScript<(string | number)[]>(redis, LOGIN_FAILED, keysOf(attempt), args)));
}

/** Password login's Redis scripts, bound to this request's connection. */
export const loginStore = (redis: Redis) => bindTo(redis, { openSession: openLoginSession, recordFailure: recordLoginFailure });
export type LoginStore = ReturnType<typeof loginStore>;
