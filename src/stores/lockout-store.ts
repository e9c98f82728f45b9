// The guards' shared vocabulary (policy, captcha state, replies) and the one lockout call that is
// not part of a login or code script: a signed-in session's password or code re-check.
import type { Redis } from "@upstash/redis/cloudflare";
import { bindTo } from "./bind.ts";
import { REAUTHENTICATE } from "./login-scripts.ts";
import { reachRedis, runScript } from "./redis.ts";
import { type LockoutScope, lockoutKey } from "./redis-keys.ts";

export type CaptchaState = "off" | "missing" | "solved";

export interface LockoutPolicy {
  threshold: number;
  baseMs: number;
  maxMs: number;
  windowMs: number;
  /** How long repeated lockouts are remembered (and keep growing). */
  memoryMs: number;
  /** Failures (of the name or of the client IP) after which Turnstile is required. */
  captchaAfter: number;
  /** Tries a solved challenge allows during one lockout (a user's own code checks only). */
  bypassTries: number;
  /** A budget's failed guesses in any sliding hour, and in any 24 hours. */
  perHour: number;
  perDay: number;
}

export const lockoutArgs = (policy: LockoutPolicy) =>
  [
    policy.threshold,
    policy.baseMs,
    policy.maxMs,
    policy.windowMs,
    policy.memoryMs,
    policy.captchaAfter,
    policy.bypassTries,
    policy.perHour,
    policy.perDay,
  ].map(String);

export interface Lockable {
  scope: LockoutScope;
  /** A user id, a session id, user and device, or a keyed digest of the name a client typed: never the name itself. */
  subject: string;
}

export type LockoutReply =
  /** newDevice: a sign-in's script says this device and network are new for the user. */
  | { status: "ok"; newDevice?: boolean }
  | { status: "failed" }
  | { status: "locked"; retryAfterMs: number; started: boolean }
  | { status: "captcha" };

/** Reads a script's reply; anything unexpected is an error, never a pass. */
export function lockoutReply(reply: (string | number)[]): LockoutReply {
  switch (reply[0]) {
    case "ok":
      return { status: "ok", newDevice: reply[1] === 1 };
    case "failed":
      return { status: "failed" };
    case "captcha":
      return { status: "captcha" };
    case "locked":
      return { status: "locked", retryAfterMs: Number(reply[1]), started: reply[2] === "started" };
    default:
      throw new Error(`unexpected lockout reply: ${String(reply[0]).slice(0, 40)}`);
  }
}

export async function recordPasswordCheck(
  redis: Redis,
  lock: Lockable,
  valid: boolean,
  nowMs: number,
  policy: LockoutPolicy,
): Promise<LockoutReply> {
  const args = [String(nowMs), valid ? "ok" : "failed", ...lockoutArgs(policy)];
  return lockoutReply(await reachRedis(runScript<(string | number)[]>(redis, REAUTHENTICATE, [lockoutKey(lock)], args)));
}

/** Per-name lockouts, bound to this request's connection. */
export const lockoutStore = (redis: Redis) => bindTo(redis, { recordPasswordCheck });
export type LockoutStore = ReturnType<typeof lockoutStore>;
