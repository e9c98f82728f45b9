// The per-request dependency container's shape: what services may reach through `deps`. Built
// once per request by middleware/dependencies.ts.
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
import type { WebhookEmitter } from "./services/webhook-events.ts";
import type { ApiKeyStore } from "./stores/api-key-store.ts";
import type { HealthStore } from "./stores/health-store.ts";
import type { IdentityStore } from "./stores/identity-store.ts";
import type { LockoutStore } from "./stores/lockout-store.ts";
import type { LoginStore } from "./stores/login-store.ts";
import type { MfaStore } from "./stores/mfa-store.ts";
import type { OAuthStore } from "./stores/oauth-store.ts";
import type { OtpStore } from "./stores/otp-store.ts";
import type { OutboxStore } from "./stores/outbox-store.ts";
import type { PasskeyChallengeStore } from "./stores/passkey-challenge-store.ts";
import type { PasskeyStore } from "./stores/passkey-store.ts";
import type { SecurityEventStore } from "./stores/security-event-store.ts";
import type { SessionStore } from "./stores/session-store.ts";
import type { UserStore } from "./stores/user-store.ts";
import type { WebhookStore } from "./stores/webhook-store.ts";
import type { WebhookJob } from "./webhooks/jobs.ts";

/** What sending mail or SMS reaches (services/delivery.ts). */
export type DeliveryDeps = Pick<Deps, "background" | "config" | "deliveryQueue" | "log" | "mailer" | "sms">;
/** What starting a session and signing its first pair reaches (services/token-pair.ts). */
export type SessionStartDeps = Pick<Deps, "client" | "clock" | "config" | "ids" | "sessions" | "tokens">;

export interface Deps {
  config: Config;
  keys: SigningKeys;
  // The stores, each bound to this request's MySQL or Redis connection: services see methods,
  // never a raw connection, and a service's signature (a Pick of these) shows what it reaches.
  users: UserStore;
  sessions: SessionStore;
  logins: LoginStore;
  lockouts: LockoutStore;
  otps: OtpStore;
  /** Logins waiting for their second factor. */
  mfa: MfaStore;
  passkeys: PasskeyStore;
  /** Linked identities (accounts at other providers). */
  identities: IdentityStore;
  /** WebAuthn challenges, and the passkey sign-in that spends one. */
  passkeyChallenges: PasskeyChallengeStore;
  /** Sign-in-with flows and their one-time codes. */
  oauth: OAuthStore;
  securityEvents: SecurityEventStore;
  /** The admin API's keys (digests only). */
  apiKeys: ApiKeyStore;
  /** The development outbox (read side); the mail and SMS `log` providers write to it. */
  outbox: OutboxStore;
  health: HealthStore;
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
  /** Tells other systems (webhooks) what happened, through the webhook queue. */
  webhooks: WebhookEmitter;
  /** The admin API's webhook endpoints and their deliveries. */
  webhookEndpoints: WebhookStore;
  /** Where webhook events go to be fanned out, when bound. */
  webhookQueue: Queue<WebhookJob> | undefined;
  /** Where mail and SMS go to be sent, when bound. */
  deliveryQueue: Queue<DeliveryJob> | undefined;
}
