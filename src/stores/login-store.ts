// Password login's Redis side: one script per login, whatever the outcome (login-scripts.ts).
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
import { COUNT_NAME_GUESS, LOGIN_ATTEMPT, LOGIN_GATE } from "./login-scripts.ts";
import { type MfaChallenge, mfaChallengeFields } from "./mfa-store.ts";
import { reachRedis, runScript } from "./redis.ts";
import { ipFailuresKey, lockoutKey, mfaKey } from "./redis-keys.ts";
import { type NewSession, sessionKeys, sessionScriptArgs } from "./session-store.ts";

/** What guards a login: a known device's own lockout, or the budget of the name typed. */
export type LoginGuard = { kind: "device"; lock: Lockable } | { kind: "budget"; lock: Lockable };

export interface LoginAttempt {
  guard: LoginGuard;
  /** The client's IP key (an IPv6 /64), for the failures that make Turnstile required. */
  ipKey: string;
  captcha: CaptchaState;
  policy: LockoutPolicy;
  /** Unique per request: a budget's member. */
  requestId: string;
}

/** Where a right password leads: a session, (2FA on) a challenge under its token's digest, or (a disabled account) nothing. */
export type LoginOutcome = {
  valid: boolean;
  session: NewSession;
  challenge?: { tokenDigest: string; fields: MfaChallenge; ttlMs: number };
  opensNothing?: boolean;
};

/**
 * The one script of a login. The arguments do not depend on whether the password was right, so
 * a refused login costs the same either way.
 */
export async function attemptLogin(
  redis: Redis,
  outcome: LoginOutcome,
  attempt: LoginAttempt,
): Promise<LockoutReply | { status: "stale" }> {
  const challenge = outcome.challenge;
  const keys = [
    ...sessionKeys(outcome.session),
    lockoutKey(attempt.guard.lock),
    ipFailuresKey(attempt.ipKey),
    mfaKey(challenge?.tokenDigest ?? "-"),
  ];
  const then = outcome.opensNothing
    ? ["nothing"]
    : challenge
      ? ["challenge", String(challenge.ttlMs), ...mfaChallengeFields(challenge.fields)]
      : ["session"];
  const args = [
    ...sessionScriptArgs(outcome.session),
    outcome.valid ? "ok" : "failed",
    attempt.guard.kind,
    attempt.captcha,
    ...lockoutArgs(attempt.policy),
    attempt.requestId,
    ...then,
    outcome.session.device,
  ];
  const reply = await reachRedis(runScript<(string | number)[]>(redis, LOGIN_ATTEMPT, keys, args));
  // The account's credentials or sessions were revoked since its row was read: nothing was made.
  if (reply[0] === "stale") return { status: "stale" };
  return lockoutReply(reply);
}

/** How long the name's budget and the claimed device's lockout still refuse (ms, 0: open). */
export interface LoginGateReply {
  budgetWaitMs: number;
  deviceWaitMs: number;
}

/** The guards' state before the password is checked (one round trip, alongside the MySQL read). */
export async function readLoginGate(
  redis: Redis,
  guards: { budget: Lockable; device: Lockable | null },
  nowMs: number,
  policy: LockoutPolicy,
): Promise<LoginGateReply> {
  const keys = [lockoutKey(guards.budget), guards.device ? lockoutKey(guards.device) : "lockout:device:-"];
  const reply = await reachRedis(runScript<number[]>(redis, LOGIN_GATE, keys, [String(nowMs), ...lockoutArgs(policy)]));
  return { budgetWaitMs: Number(reply[0]) || 0, deviceWaitMs: Number(reply[1]) || 0 };
}

/** Counts a wrong password against a name's budget outside a login; ms until it admits another (0: room left). */
export async function countNameGuess(
  redis: Redis,
  budget: Lockable,
  nowMs: number,
  requestId: string,
  policy: LockoutPolicy,
): Promise<number> {
  const args = [String(nowMs), requestId, ...lockoutArgs(policy)];
  return Number(await reachRedis(runScript(redis, COUNT_NAME_GUESS, [lockoutKey(budget)], args))) || 0;
}

/** Password login's Redis scripts, bound to this request's connection. */
export const loginStore = (redis: Redis) =>
  bindTo(redis, { gate: readLoginGate, attempt: attemptLogin, countGuess: countNameGuess });
export type LoginStore = ReturnType<typeof loginStore>;
