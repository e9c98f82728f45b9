// The per-request dependency container's shape: what services may reach through `deps`. Built
// once per request by middleware/dependencies.ts.
import type { Redis } from "@upstash/redis/cloudflare";
import type { Config } from "./config.ts";
import type { DeliveryJob } from "./delivery/jobs.ts";
import type { Mailer, SmsSender } from "./delivery/ports.ts";
import type { Clock, Ids } from "./lib/clock.ts";
import type { Logger } from "./lib/log.ts";
import type { SigningKeys } from "./lib/signing-keys.ts";
import type { BreachChecker } from "./providers/pwned-passwords.ts";
import type { CaptchaVerifier } from "./providers/turnstile.ts";
import type { RequestContext, SecurityLog } from "./services/security-log.ts";
import type { TokenIssuer } from "./services/token-issuer.ts";
import type { Database } from "./stores/database.ts";

export interface Deps {
  config: Config;
  keys: SigningKeys;
  db: Database;
  redis: Redis;
  /** Only the image routes need it; they answer CONFIG_ERROR when it is not bound. */
  images: R2Bucket | undefined;
  mailer: Mailer;
  sms: SmsSender;
  /** Runs work after the response (waitUntil); failures are logged with the request id. */
  background: (label: string, task: () => Promise<void>) => void;
  clock: Clock;
  ids: Ids;
  /** Signs and reads this service's JWTs. */
  tokens: TokenIssuer;
  /** Who sent this request (IP, country, user agent, request id). */
  client: RequestContext;
  /** The request's logger: every line carries its request id. */
  log: Logger;
  securityLog: SecurityLog;
  /** Turnstile, when TURNSTILE_SECRET_KEY is set. */
  captcha: CaptchaVerifier | undefined;
  /** Pwned Passwords, when BREACHED_PASSWORD_CHECK is on. */
  breaches: BreachChecker | undefined;
  /** Where mail and SMS go to be sent, when bound. */
  deliveryQueue: Queue<DeliveryJob> | undefined;
}
