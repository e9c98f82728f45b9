// Telling other systems what happened: an event becomes one message on the webhook queue, sent after
// the response (never on the request path); the queue's consumer fans it out and delivers
// (src/webhooks/consumer.ts). Most events follow from the security log (a sign-in is a
// session.created); the rest are emitted where they happen.
import type { Ids } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { WebhookEvent, WebhookJob } from "../webhooks/jobs.ts";
import type { SecurityEvent } from "./security-log.ts";

export const WEBHOOK_FOR_SECURITY_EVENT: Partial<Record<SecurityEvent, WebhookEvent>> = {
  account_created_by_admin: "user.created",
  profile_changed_by_admin: "user.updated",
  role_changed: "user.updated",
  email_changed: "user.updated",
  account_deleted: "user.deleted",
  account_disabled: "user.disabled",
  account_enabled: "user.enabled",
  email_verified: "user.email_verified",
  password_changed: "user.password_changed",
  password_reset: "user.password_changed",
  login_succeeded: "session.created",
  two_factor_enabled: "two_factor.enabled",
  two_factor_disabled: "two_factor.disabled",
  two_factor_reset: "two_factor.disabled",
  passkey_added: "passkey.created",
  identity_linked: "identity.linked",
};

export interface WebhookEmitter {
  emit(type: WebhookEvent, data: Record<string, unknown>): void;
}

let warnedUnbound = false;

export function createWebhookEmitter(
  queue: Queue<WebhookJob> | undefined,
  ids: Ids,
  now: () => Date,
  background: (label: string, task: () => Promise<void>) => void,
  logger: Logger,
): WebhookEmitter {
  return {
    emit(type, data) {
      if (!queue) {
        // Only local runs lack the binding (plain workerd in the benchmarks); a deployment has it.
        if (!warnedUnbound) logger.warn("webhooks_off", { reason: "WEBHOOK_QUEUE not bound" });
        warnedUnbound = true;
        return;
      }
      const message = { id: `msg_${ids.alphanumeric(24)}`, type, timestamp: now().toISOString(), data };
      background(`webhook ${type}`, async () => {
        await queue.send({ kind: "webhook-event", message });
      });
    },
  };
}
