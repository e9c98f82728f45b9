// What goes on the webhook queue: an event to fan out to the endpoints that subscribe to it, then
// one delivery per endpoint (retried on its own schedule). Payloads hold ids, never secrets.

export const WEBHOOK_EVENTS = [
  "user.created",
  "user.updated",
  "user.deleted",
  "user.disabled",
  "user.enabled",
  "user.email_verified",
  "user.password_changed",
  "session.created",
  "two_factor.enabled",
  "two_factor.disabled",
  "passkey.created",
  "identity.linked",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The message every endpoint receives: `{type, timestamp, data}` under one webhook-id. */
export interface WebhookMessage {
  id: string;
  type: WebhookEvent | "webhook.test";
  timestamp: string;
  data: Record<string, unknown>;
}

export type WebhookJob =
  /** `only`: a test message for one endpoint (POST /admin/webhooks/{id}/test/). */
  | { kind: "webhook-event"; message: WebhookMessage; only?: string }
  | { kind: "webhook-delivery"; deliveryId: number; webhookId: string; message: WebhookMessage };

export const isWebhookJob = (job: { kind: string }): job is WebhookJob => job.kind.startsWith("webhook-");
