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
import { createDatabase, type Database } from "../stores/database.ts";
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
 * The MySQL and Redis clients of an isolate's configuration, made when a request first needs one
 * and shared by the requests after it. They hold settings (the Redis client's read-your-writes
 * token is off: stores/redis.ts): every query and command is a fetch of its own, made by the
 * request that runs it, so nothing of one request reaches another. Making
 * the Redis client per request cost a token check a third of its CPU (the client builds a named
 * closure for each of its few hundred commands).
 */
interface SharedClients {
  redis?: ReturnType<typeof createRedis>;
  db?: Database;
}
const clientsOf = new WeakMap<Config, SharedClients>();

function sharedClients(settings: Config): SharedClients {
  let clients = clientsOf.get(settings);
  if (!clients) {
    clients = {};
    clientsOf.set(settings, clients);
  }
  return clients;
}

/** What a request's dependencies are made from. */
interface Scope {
  c: Context<AppEnv>;
  settings: Config;
  keys: SigningKeys;
  base: DependencyOverrides;
  clients: SharedClients;
  logger: Logger;
  deps: Deps;
}

const redis = ({ clients, settings }: Scope) =>
  (clients.redis ??= createRedis(settings.UPSTASH_REDIS_REST_URL, settings.UPSTASH_REDIS_REST_TOKEN, settings.REDIS_TIMEOUT_MS));
const db = ({ clients, settings }: Scope) => (clients.db ??= createDatabase(settings.DATABASE_URL, settings.DATABASE_TIMEOUT_MS));
const nowOf = (scope: Scope) => () => scope.base.clock.now();

/**
 * How each dependency is made, once per isolate: a request's container holds its scope and makes
 * a dependency when its route first reads it (the country list reads no MySQL or Redis client, a
 * token check no MySQL one). Defined here rather than as closures per request, which cost CPU on
 * every request, for the dependencies the route never reads too.
 */
const FACTORIES: { [K in keyof Deps]: (scope: Scope) => Deps[K] } = {
  config: (scope) => scope.settings,
  keys: (scope) => scope.keys,
  tokens: ({ keys, settings, base }) => createTokenIssuer(keys, settings, base.clock, base.ids),
  users: (scope) => userStore(db(scope)),
  sessions: (scope) => sessionStore(redis(scope)),
  logins: (scope) => loginStore(redis(scope)),
  lockouts: (scope) => lockoutStore(redis(scope)),
  otps: (scope) => otpStore(redis(scope)),
  mfa: (scope) => mfaStore(redis(scope)),
  passkeys: (scope) => passkeyStore(db(scope)),
  identities: (scope) => identityStore(db(scope)),
  passkeyChallenges: (scope) => passkeyChallengeStore(redis(scope)),
  oauth: (scope) => oauthStore(redis(scope)),
  securityEvents: (scope) => securityEventStore(db(scope)),
  apiKeys: (scope) => apiKeyStore(db(scope)),
  outbox: (scope) => outboxStore(redis(scope)),
  health: (scope) => healthStore(db(scope), redis(scope)),
  images: (scope) => scope.c.env.PROFILE_IMAGES,
  mailer: (scope) => createMailer(scope.settings, redisOutbox(redis(scope), nowOf(scope))),
  sms: (scope) => createSmsSender(scope.settings, redisOutbox(redis(scope), nowOf(scope))),
  background:
    ({ c, logger }) =>
    (label, task) =>
      runAfterResponse(c, logger, label, task),
  clock: (scope) => scope.base.clock,
  ids: (scope) => scope.base.ids,
  client: (scope) => requestContext(scope.c),
  log: (scope) => scope.logger,
  securityLog: ({ deps, base, logger }) =>
    createSecurityLog(deps.securityEvents, deps.client, base.clock, deps.background, logger, deps.webhooks),
  webhooks: (scope) =>
    createWebhookEmitter(scope.c.env.WEBHOOK_QUEUE, scope.base.ids, nowOf(scope), scope.deps.background, scope.logger),
  webhookEndpoints: (scope) => webhookStore(db(scope)),
  webhookQueue: (scope) => scope.c.env.WEBHOOK_QUEUE,
  captcha: ({ settings }) =>
    settings.TURNSTILE_SECRET_KEY
      ? turnstileVerifier({
          apiUrl: settings.TURNSTILE_API_URL,
          secretKey: settings.TURNSTILE_SECRET_KEY,
          timeoutMs: PROVIDER_CHECK_TIMEOUT_MS,
        })
      : undefined,
  deliveryQueue: (scope) => scope.c.env.DELIVERY_QUEUE,
  breaches: ({ settings, logger }) =>
    settings.BREACHED_PASSWORD_CHECK === "on"
      ? pwnedPasswords({ apiUrl: settings.PWNED_PASSWORDS_API_URL, timeoutMs: PROVIDER_CHECK_TIMEOUT_MS, log: logger })
      : undefined,
};

const SCOPE = Symbol("scope");

/** A request's container: a getter per dependency on the prototype (defined once), its value kept on first read. */
class RequestDependencies {
  [SCOPE]: Scope;
  constructor(scope: Scope) {
    this[SCOPE] = scope;
  }
}
for (const key of Object.keys(FACTORIES) as (keyof Deps)[]) {
  Object.defineProperty(RequestDependencies.prototype, key, {
    configurable: true,
    get(this: RequestDependencies) {
      const value = FACTORIES[key](this[SCOPE]);
      Object.defineProperty(this, key, { value, enumerable: true });
      return value;
    },
  });
}

export function dependencies(base: DependencyOverrides): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const settings: Config = c.var.config;
    // Per isolate (cached by the key object): awaiting it costs a resolved promise after the first request.
    const keys = await signingKeys(settings);
    const scope = {
      c,
      settings,
      keys,
      base,
      clients: sharedClients(settings),
      logger: createLogger({ request_id: c.get("requestId") }),
    } as Scope;
    scope.deps = new RequestDependencies(scope) as unknown as Deps;
    c.set("deps", scope.deps);
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
