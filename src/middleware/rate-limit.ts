// Per-client-IP limits through Cloudflare's Workers Rate Limiting binding: the counter lives in
// the edge location's own memory service, so a check adds no network round trip and no state
// sits in the isolate. Each rule is one binding whose limit and period are set in wrangler.toml.
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Bindings } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { clientIp, clientKey } from "./client.ts";

/** The per-IP rules, by the binding that carries each one's limit and period. */
export const RATE_LIMIT_RULES = {
  login: "LOGIN_RATE_LIMITER",
  signup: "SIGNUP_RATE_LIMITER",
  "password-reset": "PASSWORD_RESET_RATE_LIMITER",
  otp: "OTP_RATE_LIMITER",
  token: "TOKEN_RATE_LIMITER",
  admin: "ADMIN_RATE_LIMITER",
} as const satisfies Record<string, keyof Bindings>;

export type RateLimitRule = keyof typeof RATE_LIMIT_RULES;

// The binding allows periods of 10 or 60 s and does not say when its window ends: 60 s is the
// longest a client can have to wait, so it is what Retry-After promises.
const RETRY_AFTER_SECONDS = "60";

const warned = new Set<string>();

export function limitPerIp(rule: RateLimitRule): MiddlewareHandler<AppEnv> {
  return limitPer(rule, (c) => clientKey(clientIp(c)));
}

/**
 * The admin API's second limit, after authentication: per API key or admin, so scripts behind
 * one address do not share a budget (the per-IP one, before it, bounds guessing keys).
 */
type WithActor = AppEnv & { Variables: { actor: { id: string } } };
export function limitPerAdminActor(): MiddlewareHandler<WithActor> {
  return limitPer<WithActor>("admin", (c) => `actor:${c.var.actor.id}`);
}

function limitPer<E extends AppEnv>(rule: RateLimitRule, subjectOf: (c: Context<E>) => string): MiddlewareHandler<E> {
  const binding = RATE_LIMIT_RULES[rule];
  return async (c, next) => {
    const limiter = c.env[binding];
    if (!limiter) {
      // A deployment must have every rule; only local runs without the binding (plain workerd
      // in the benchmarks) go on unlimited, and say so once.
      const environment = c.var.config.ENVIRONMENT;
      if (environment === "preview" || environment === "production") {
        log.error("config_error", { variable: binding, problem: "rate limiting binding missing" });
        throw new AppError("CONFIG_ERROR");
      }
      if (!warned.has(binding)) log.warn("rate_limit_off", { binding, rule, reason: "binding not bound (local workerd)" });
      warned.add(binding);
      return next();
    }
    // Rules share nothing: the key names the rule as well, so one binding could serve several.
    let success: boolean;
    try {
      ({ success } = await limiter.limit({ key: `${rule}:${subjectOf(c)}` }));
    } catch (error) {
      // Fail closed: without its limit, a guessing endpoint must not run.
      c.var.deps.log.error("rate_limiter_failed", { binding, error });
      throw new AppError("SERVICE_UNAVAILABLE", { details: { rate_limiter: ["unavailable"] } });
    }
    if (!success) throw new AppError("RATE_LIMITED", { headers: { "Retry-After": RETRY_AFTER_SECONDS } });
    await next();
  };
}
