// The account-side abuse guards: lockout policy, Turnstile challenges and the breached-password
// check. Per-IP limits happen before any of this, at the route (middleware/rate-limit.ts).
import type { Config } from "../config.ts";
import type { Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";
import { otpDigest } from "../lib/otp.ts";
import { CaptchaUnavailableError } from "../providers/turnstile.ts";
import type { CaptchaState, Lockable, LockoutPolicy, LockoutReply } from "../stores/lockout-store.ts";

// Lockout levels are remembered a day: an account attacked again and again keeps its longer
// cool-down, while one that was quiet for a day starts over at the base.
const LOCKOUT_MEMORY_MS = 24 * 3600 * 1000;
// Tries a solved Turnstile challenge allows during one lockout: the owner gets in, a solver farm
// gets three guesses per cool-down.
const BYPASS_TRIES = 3;

export function lockoutPolicy(config: Config): LockoutPolicy {
  return {
    threshold: config.LOCKOUT_THRESHOLD,
    baseMs: config.LOCKOUT_BASE_SECONDS * 1000,
    maxMs: config.LOCKOUT_MAX_SECONDS * 1000,
    windowMs: config.LOCKOUT_WINDOW_SECONDS * 1000,
    memoryMs: Math.max(LOCKOUT_MEMORY_MS, config.LOCKOUT_WINDOW_SECONDS * 1000),
    captchaAfter: config.CAPTCHA_AFTER_FAILURES,
    bypassTries: BYPASS_TRIES,
  };
}

/**
 * The lockout of a name as a client typed it (canonical form), for accounts that exist and names
 * that match none alike: the two cannot be told apart by their lockouts. Redis keeps a keyed
 * digest, never what was typed (users sometimes type a password into the name field).
 */
export async function nameLock(deps: Pick<Deps, "config">, scope: "login" | "reset", canonicalName: string): Promise<Lockable> {
  return { scope, subject: await otpDigest(`lockout:${deps.config.JWT_PRIVATE_KEY.d}`, scope, "", canonicalName) };
}

/** Turns a lockout reply into the answer: 429 while locked (logging a lockout that just began), CAPTCHA_REQUIRED. */
export function refuseWhenLocked(deps: Pick<Deps, "securityLog">, reply: LockoutReply, userId: string | undefined): void {
  if (reply.status === "captcha") throw new AppError("CAPTCHA_REQUIRED");
  if (reply.status === "locked") {
    if (reply.started) deps.securityLog.record("account_locked", userId);
    throw coolingDown(reply.retryAfterMs);
  }
}

export function retryAfter(ms: number): Record<string, string> {
  return { "Retry-After": String(Math.max(1, Math.ceil(ms / 1000))) };
}

/** A lockout or cool-down: 429 with how long to wait. */
export function coolingDown(ms: number): AppError {
  return new AppError("RATE_LIMITED", { headers: retryAfter(ms) });
}

/**
 * Checks a Turnstile token if one was sent. 'off' when Turnstile is not configured, 'missing'
 * when no token came, 'solved' when Turnstile accepted it; a refused token is CAPTCHA_INVALID and
 * an unreachable Turnstile CAPTCHA_UNAVAILABLE (fail closed: no challenge, no way around it).
 */
export async function captchaState(deps: Pick<Deps, "captcha" | "client">, token: string | undefined): Promise<CaptchaState> {
  if (!deps.captcha) return "off";
  if (token === undefined) return "missing";
  let solved: boolean;
  try {
    solved = await deps.captcha.verify(token, deps.client.ip);
  } catch (error) {
    if (!(error instanceof CaptchaUnavailableError)) throw error;
    throw new AppError("CAPTCHA_UNAVAILABLE", { cause: error });
  }
  if (!solved) throw new AppError("CAPTCHA_INVALID");
  return "solved";
}

/** Signup and password forget: with Turnstile on, every request must carry a solved challenge. */
export async function requireCaptcha(
  deps: Pick<Deps, "captcha" | "client" | "config">,
  token: string | undefined,
): Promise<void> {
  if ((await captchaState(deps, token)) === "missing") throw new AppError("CAPTCHA_REQUIRED");
}

export const BREACHED_PASSWORD = "This password has appeared in a data breach; choose another.";

/** With the check on: the problem to report when the password is known breached (fails open). */
export async function breachedPasswordProblem(deps: Pick<Deps, "breaches">, password: string): Promise<string | undefined> {
  if (!deps.breaches) return undefined;
  return (await deps.breaches.isBreached(password)) ? BREACHED_PASSWORD : undefined;
}
