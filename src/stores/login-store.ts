// Password login's Redis side: one script on success (lockout gate + new session), one on failure.
import type { Redis } from "@upstash/redis/cloudflare";
import { LOGIN_FAILED, LOGIN_SESSION } from "./login-scripts.ts";
import { reachRedis } from "./redis.ts";
import { ipLoginFailuresKey, lockoutKey } from "./redis-keys.ts";
import { type NewSession, sessionKeys, sessionScriptArgs } from "./session-store.ts";

export type CaptchaState = "off" | "missing" | "solved";

export interface LockoutPolicy {
  threshold: number;
  baseMs: number;
  maxMs: number;
  windowMs: number;
  /** How long repeated lockouts are remembered (and keep growing). */
  memoryMs: number;
  /** Failures (of the account or of the client IP) after which Turnstile is required. */
  captchaAfter: number;
}

export const lockoutArgs = (policy: LockoutPolicy) =>
  [policy.threshold, policy.baseMs, policy.maxMs, policy.windowMs, policy.memoryMs, policy.captchaAfter].map(String);

export interface LoginAttempt {
  /** The user id, or a stand-in for a name that matches no account: both are treated alike. */
  subject: string;
  ip: string;
  captcha: CaptchaState;
  policy: LockoutPolicy;
}

export type LoginGate = { status: "ok" } | { status: "locked"; retryAfterMs: number; started: boolean } | { status: "captcha" };

function gate(reply: (string | number)[]): LoginGate {
  if (reply[0] === "locked") return { status: "locked", retryAfterMs: Number(reply[1]), started: reply[2] === "started" };
  if (reply[0] === "captcha") return { status: "captcha" };
  return { status: "ok" };
}

/** The right password: creates the session unless a lockout or a required challenge stands in the way. */
export async function openLoginSession(redis: Redis, session: NewSession, attempt: LoginAttempt): Promise<LoginGate> {
  const keys = [...sessionKeys(session), lockoutKey(attempt.subject, "login"), ipLoginFailuresKey(attempt.ip)];
  const args = [...sessionScriptArgs(session), attempt.captcha, ...lockoutArgs(attempt.policy)];
  return gate(await reachRedis(redis.eval<string[], (string | number)[]>(LOGIN_SESSION, keys, args)));
}

/** A wrong password or an unknown account: counts the failure (outside a lockout). "ok" means: counted, not locked. */
export async function recordLoginFailure(redis: Redis, attempt: LoginAttempt, nowMs: number): Promise<LoginGate> {
  const keys = [lockoutKey(attempt.subject, "login"), ipLoginFailuresKey(attempt.ip)];
  const args = [String(nowMs), attempt.captcha, ...lockoutArgs(attempt.policy)];
  return gate(await reachRedis(redis.eval<string[], (string | number)[]>(LOGIN_FAILED, keys, args)));
}
