// The one AppEnv type: the bindings the runtime hands over and the variables middleware sets.
import type { Config, ConfigVars } from "./config.ts";
import type { DeliveryJob } from "./delivery/jobs.ts";
import type { Deps } from "./deps.ts";
import type { WebhookJob } from "./webhooks/jobs.ts";

/** Raw bindings: every setting of config.ts as a string, plus the resource bindings. */
export interface Bindings extends ConfigVars {
  /** R2 bucket of profile images (miniflare provides one locally). */
  PROFILE_IMAGES?: R2Bucket;
  /** The delivery queue (producer); the same worker consumes it (src/queue.ts). */
  DELIVERY_QUEUE?: Queue<DeliveryJob>;
  /** The webhook queue (producer); the same worker consumes it (src/webhooks/consumer.ts). */
  WEBHOOK_QUEUE?: Queue<WebhookJob>;
  /** Workers Rate Limiting bindings, one per per-IP rule (`[[ratelimits]]` in wrangler.toml). */
  LOGIN_RATE_LIMITER?: RateLimit;
  SIGNUP_RATE_LIMITER?: RateLimit;
  PASSWORD_RESET_RATE_LIMITER?: RateLimit;
  OTP_RATE_LIMITER?: RateLimit;
  TOKEN_RATE_LIMITER?: RateLimit;
  ADMIN_RATE_LIMITER?: RateLimit;
}

export interface Variables {
  config: Config;
  deps: Deps;
  requestId: string;
  /** Names the operation for envelope messages: "<action> successful" / "<action> failed". */
  action: string;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
