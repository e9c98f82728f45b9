// The account-side abuse guards: lockout policy and guessing budgets, Turnstile challenges and
// the breached-password check. Per-IP limits happen before any of this, at the route
// (middleware/rate-limit.ts). How they fit together: docs/lockout.md.
import type { Config } from "../config.ts";
import type { Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";
import { otpDigest } from "../lib/otp.ts";
import { CaptchaUnavailableError } from "../providers/turnstile.ts";
import type { CaptchaState, Lockable, LockoutPolicy, LockoutReply } from "../stores/lockout-store.ts";

// Lockout levels are remembered a day: an account attacked again and again keeps its longer
// cool-down, while one that was quiet for a day starts over at the base.
const LOCKOUT_MEMORY_MS = 24 * 3600 * 1000;
// Tries a solved Turnstile challenge allows during one lockout of a user's own code checks.
const BYPASS_TRIES = 3;
// Clients without a device token: failed password guesses per name typed. An account has two
// names (username, email), so strangers get at most 20 an hour and 100 a day on it, NIST SP
// 800-63B's ceiling, from any number of IPs.
export const NAME_GUESSES_PER_HOUR = 10;
export const NAME_GUESSES_PER_DAY = 50;
// Second-factor answers at login from clients without a device token, per account (each
// mfa_token also dies after 5 wrong answers).
export const SECOND_FACTOR_GUESSES_PER_HOUR = 20;
export const SECOND_FACTOR_GUESSES_PER_DAY = 100;

/** The policy of lockouts (devices, sessions, code checks) and of password-guess budgets by name. */
export function lockoutPolicy(config: Config): LockoutPolicy {
  return {
    threshold: config.LOCKOUT_THRESHOLD,
    baseMs: config.LOCKOUT_BASE_SECONDS * 1000,
    maxMs: config.LOCKOUT_MAX_SECONDS * 1000,
    windowMs: config.LOCKOUT_WINDOW_SECONDS * 1000,
    memoryMs: Math.max(LOCKOUT_MEMORY_MS, config.LOCKOUT_WINDOW_SECONDS * 1000),
    captchaAfter: config.CAPTCHA_AFTER_FAILURES,
    bypassTries: BYPASS_TRIES,
    perHour: NAME_GUESSES_PER_HOUR,
    perDay: NAME_GUESSES_PER_DAY,
  };
}

/** The same, with the second factor's budget per account. */
export function secondFactorPolicy(config: Config): LockoutPolicy {
  return { ...lockoutPolicy(config), perHour: SECOND_FACTOR_GUESSES_PER_HOUR, perDay: SECOND_FACTOR_GUESSES_PER_DAY };
}

/**
 * The guessing budget of a name as a client typed it (canonical form), for accounts that exist
 * and names that match none alike: the two cannot be told apart by their budgets. Redis keeps a
 * keyed digest, never what was typed (users sometimes type a password into the name field).
 */
export async function nameLock(deps: Pick<Deps, "config">, canonicalName: string): Promise<Lockable> {
  return { scope: "login", subject: await otpDigest(`lockout:${deps.config.JWT_PRIVATE_KEY.d}`, "login", "", canonicalName) };
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
