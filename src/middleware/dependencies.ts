// Builds the per-request dependencies once and publishes them on c.var.
import type { Context, MiddlewareHandler } from "hono";
import { type Config, loadConfig } from "../config.ts";
import { createMailer, createSmsSender } from "../delivery/factory.ts";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../env.ts";
import type { Clock, Ids } from "../lib/clock.ts";
import { AppError } from "../lib/errors.ts";
import { createLogger, type Logger, log } from "../lib/log.ts";
import { loadSigningKeys, type SigningKeys } from "../lib/signing-keys.ts";
import { pwnedPasswords } from "../providers/pwned-passwords.ts";
import { turnstileVerifier } from "../providers/turnstile.ts";
import { createSecurityLog } from "../services/security-log.ts";
import { createTokenIssuer } from "../services/token-issuer.ts";
import { createWebhookEmitter } from "../services/webhook-events.ts";
import { apiKeyStore } from "../stores/api-key-store.ts";
import { createDatabase } from "../stores/database.ts";
import { healthStore } from "../stores/health-store.ts";
import { identityStore } from "../stores/identity-store.ts";
import { lockoutStore } from "../stores/lockout-store.ts";
import { loginStore } from "../stores/login-store.ts";
import { mfaStore } from "../stores/mfa-store.ts";
import { oauthStore } from "../stores/oauth-store.ts";
import { otpStore } from "../stores/otp-store.ts";
import { outboxStore, redisOutbox } from "../stores/outbox-store.ts";
import { passkeyChallengeStore } from "../stores/passkey-challenge-store.ts";
import { passkeyStore } from "../stores/passkey-store.ts";
import { createRedis } from "../stores/redis.ts";
import { securityEventStore } from "../stores/security-event-store.ts";
import { sessionStore } from "../stores/session-store.ts";
import { userStore } from "../stores/user-store.ts";
import { webhookStore } from "../stores/webhook-store.ts";
import { requestContext } from "./client.ts";

// Turnstile and Pwned Passwords sit on the request path: a slow answer must not hold it long.
const PROVIDER_CHECK_TIMEOUT_MS = 1500;

export interface DependencyOverrides {
  clock: Clock;
  ids: Ids;
}

export const config: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("config", loadConfig(c.env));
  await next();
};

async function signingKeys(settings: Config): Promise<SigningKeys> {
  try {
    return await loadSigningKeys(settings.JWT_PRIVATE_KEY, settings.JWT_PUBLIC_KEYS);
  } catch {
    // Well-formed JSON that Web Crypto still refuses: a configuration problem, named not echoed.
    log.error("config_error", { variable: "JWT_PRIVATE_KEY / JWT_PUBLIC_KEYS", problem: "not importable Ed25519 keys" });
    throw new AppError("CONFIG_ERROR");
  }
}

/**
 * An object whose properties are built on first read and kept: a request pays only for what its
 * route reaches (the country list builds no MySQL or Redis client, a token check no MySQL one).
 */
function builtOnFirstUse<T extends object>(factories: { [K in keyof T]: () => T[K] }): T {
  const built = {} as T;
  for (const key of Object.keys(factories) as (keyof T)[]) {
    Object.defineProperty(built, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = factories[key]();
        Object.defineProperty(built, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return built;
}

const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
};

export function dependencies(base: DependencyOverrides): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const settings: Config = c.var.config;
    const redis = once(() =>
      createRedis(settings.UPSTASH_REDIS_REST_URL, settings.UPSTASH_REDIS_REST_TOKEN, settings.REDIS_TIMEOUT_MS),
    );
    const db = once(() => createDatabase(settings.DATABASE_URL, settings.DATABASE_TIMEOUT_MS));
    const now = () => base.clock.now();
    const logger = createLogger({ request_id: c.get("requestId") });
    const background = (label: string, task: () => Promise<void>) => runAfterResponse(c, logger, label, task);
    // Per isolate (cached by the key object): awaiting it costs a resolved promise after the first request.
    const keys = await signingKeys(settings);
    const deps: Deps = builtOnFirstUse<Deps>({
      config: () => settings,
      keys: () => keys,
      tokens: () => createTokenIssuer(keys, settings, base.clock, base.ids),
      users: () => userStore(db()),
      sessions: () => sessionStore(redis()),
      logins: () => loginStore(redis()),
      lockouts: () => lockoutStore(redis()),
      otps: () => otpStore(redis()),
      mfa: () => mfaStore(redis()),
      passkeys: () => passkeyStore(db()),
      identities: () => identityStore(db()),
      passkeyChallenges: () => passkeyChallengeStore(redis()),
      oauth: () => oauthStore(redis()),
      securityEvents: () => securityEventStore(db()),
      apiKeys: () => apiKeyStore(db()),
      outbox: () => outboxStore(redis()),
      health: () => healthStore(db(), redis()),
      images: () => c.env.PROFILE_IMAGES,
      mailer: () => createMailer(settings, redisOutbox(redis(), now)),
      sms: () => createSmsSender(settings, redisOutbox(redis(), now)),
      background: () => background,
      clock: () => base.clock,
      ids: () => base.ids,
      client: () => requestContext(c),
      log: () => logger,
      securityLog: () => createSecurityLog(deps.securityEvents, deps.client, base.clock, background, logger, deps.webhooks),
      webhooks: () => createWebhookEmitter(c.env.WEBHOOK_QUEUE, base.ids, now, background, logger),
      webhookEndpoints: () => webhookStore(db()),
      webhookQueue: () => c.env.WEBHOOK_QUEUE,
      captcha: () =>
        settings.TURNSTILE_SECRET_KEY
          ? turnstileVerifier({
              apiUrl: settings.TURNSTILE_API_URL,
              secretKey: settings.TURNSTILE_SECRET_KEY,
              timeoutMs: PROVIDER_CHECK_TIMEOUT_MS,
            })
          : undefined,
      deliveryQueue: () => c.env.DELIVERY_QUEUE,
      breaches: () =>
        settings.BREACHED_PASSWORD_CHECK === "on"
          ? pwnedPasswords({ apiUrl: settings.PWNED_PASSWORDS_API_URL, timeoutMs: PROVIDER_CHECK_TIMEOUT_MS, log: logger })
          : undefined,
    });
    c.set("deps", deps);
    await next();
  };
}

/** waitUntil when there is an execution context (always, deployed); failures are logged, never lost silently. */
function runAfterResponse(c: Context<AppEnv>, logger: Logger, label: string, task: () => Promise<void>): void {
  // Started on a later turn of the event loop, once the response is on its way: work for known
  // accounts only (a security event) must not delay, and so time-stamp, their answers.
  const running = new Promise((resolve) => setTimeout(resolve, 0))
    .then(task)
    .catch((error: unknown) => logger.error("background_task_failed", { task: label, error }));
  try {
    c.executionCtx.waitUntil(running);
  } catch {
    // The app called directly (some tests): the task runs on without waitUntil.
  }
}
