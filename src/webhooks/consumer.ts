// The webhook queue's consumer. An event message is fanned out: one delivery record and one
// delivery message per subscribed endpoint. A delivery message is one signed POST: a 2xx within
// WEBHOOK_TIMEOUT_MS counts (redirects are not followed); anything else is retried after the next
// delay of WEBHOOK_RETRY_SCHEDULE (about a day in all), then Cloudflare moves it to the dead-letter
// queue (max_retries in wrangler.toml is the schedule's length). An endpoint whose deliveries have
// all failed for 5 days is disabled, and the audit trail says so.
import type { Config } from "../config.ts";
import type { WebhookRow } from "../db/schema.ts";
import type { Logger } from "../lib/log.ts";
import { signMessage } from "../lib/webhook-signing.ts";
import { secretBox } from "../services/second-factor-proofs.ts";
import type { SecurityEventStore } from "../stores/security-event-store.ts";
import type { WebhookStore } from "../stores/webhook-store.ts";
import type { WebhookJob, WebhookMessage } from "./jobs.ts";

export const DISABLE_AFTER_FAILING_MS = 5 * 86_400_000;

export interface ConsumerDeps {
  config: Config;
  webhooks: WebhookStore;
  securityEvents: SecurityEventStore;
  queue: Queue<WebhookJob> | undefined;
  log: Logger;
  now: () => Date;
  fetch: typeof fetch;
}

export async function consumeWebhookJob(deps: ConsumerDeps, message: Message<WebhookJob>): Promise<void> {
  const job = message.body;
  if (job.kind === "webhook-event") {
    await fanOut(deps, job.message, job.only);
    message.ack();
    return;
  }
  const outcome = await deliver(deps, job.webhookId, job.deliveryId, job.message, message.attempts);
  if (outcome.retryInSeconds === null) message.ack();
  else message.retry({ delaySeconds: outcome.retryInSeconds });
}

async function fanOut(deps: ConsumerDeps, message: WebhookMessage, only: string | undefined): Promise<void> {
  const endpoints = only
    ? [await deps.webhooks.find(only)].filter((hook) => hook?.enabled)
    : await deps.webhooks.subscribedTo(message.type);
  if (endpoints.length === 0) return;
  if (!deps.queue) {
    deps.log.error("config_error", { variable: "WEBHOOK_QUEUE", problem: "not bound: webhooks cannot be delivered" });
    return;
  }
  const now = deps.now();
  const hooks = endpoints.filter((hook) => hook !== undefined);
  const ids = await deps.webhooks.insertDeliveries(
    hooks.map((hook) => ({
      webhookId: hook.id,
      messageId: message.id,
      eventType: message.type,
      state: "pending",
      attempts: 0,
      lastStatus: null,
      lastError: null,
      nextRetryAt: now,
      createdAt: now,
      updatedAt: now,
    })),
  );
  const jobs = hooks.flatMap((hook) => {
    const deliveryId = ids.get(hook.id);
    return deliveryId === undefined
      ? []
      : [{ body: { kind: "webhook-delivery" as const, deliveryId, webhookId: hook.id, message } }];
  });
  // A batch holds at most 100 messages.
  for (let start = 0; start < jobs.length; start += 100) await deps.queue.sendBatch(jobs.slice(start, start + 100));
}

/** One try. `retryInSeconds` null: done (delivered, or nothing left to deliver to). */
async function deliver(
  deps: ConsumerDeps,
  webhookId: string,
  deliveryId: number,
  message: WebhookMessage,
  attempt: number,
): Promise<{ retryInSeconds: number | null }> {
  const hook = await deps.webhooks.find(webhookId);
  const now = deps.now();
  if (!hook?.enabled) {
    await deps.webhooks.updateDelivery(deliveryId, { state: "cancelled", nextRetryAt: null, updatedAt: now });
    return { retryInSeconds: null };
  }
  const secrets = await signingSecrets(deps, hook, now);
  if (!secrets) {
    // Sealed under a key no longer configured: no retry can help. Said where operators look.
    await deps.webhooks.updateDelivery(deliveryId, {
      state: "failed",
      attempts: attempt,
      lastError: "signing secret unreadable (TOTP_ENCRYPTION_KEY changed?): rotate the secret",
      nextRetryAt: null,
      updatedAt: now,
    });
    deps.log.error("webhook_secret_unreadable", { webhook_id: hook.id });
    return { retryInSeconds: null };
  }
  const body = JSON.stringify({ type: message.type, timestamp: message.timestamp, data: message.data });
  const timestamp = Math.floor(now.getTime() / 1000);
  const signatures = await Promise.all(secrets.map((secret) => signMessage(secret, message.id, timestamp, body)));
  let status: number | null = null;
  let error: string | null = null;
  try {
    const response = await deps.fetch(hook.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "LoginSystem-Edge-Webhooks/1",
        "webhook-id": message.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signatures.join(" "),
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(deps.config.WEBHOOK_TIMEOUT_MS),
    });
    status = response.status;
    await response.body?.cancel();
    if (status < 200 || status > 299) error = status >= 300 && status < 400 ? "redirect (not followed)" : `HTTP ${status}`;
  } catch (failure) {
    error = failure instanceof Error && failure.name === "TimeoutError" ? "timed out" : "could not connect";
  }
  const delivered = error === null;
  await deps.webhooks.recordOutcome(hook.id, delivered, now);
  const schedule = deps.config.WEBHOOK_RETRY_SCHEDULE;
  const retryInSeconds = delivered ? null : (schedule[attempt - 1] ?? 0);
  const exhausted = !delivered && attempt > schedule.length;
  await deps.webhooks.updateDelivery(deliveryId, {
    state: delivered ? "delivered" : exhausted ? "failed" : "pending",
    attempts: attempt,
    lastStatus: status,
    lastError: error,
    nextRetryAt: delivered || exhausted ? null : new Date(now.getTime() + (retryInSeconds ?? 0) * 1000),
    updatedAt: now,
  });
  if (delivered) return { retryInSeconds: null };
  deps.log.warn("webhook_delivery_failed", { webhook_id: hook.id, message_id: message.id, attempt, status, error });
  if (hook.failingSince && now.getTime() - hook.failingSince.getTime() >= DISABLE_AFTER_FAILING_MS)
    await disable(deps, hook.id, now);
  // Exhausted: retried once more without delay, which Cloudflare turns into the dead-letter queue.
  return { retryInSeconds: exhausted ? 0 : retryInSeconds };
}

/**
 * The secrets that sign now (the previous one too during a rotation's 24 h), or null when one does
 * not open. One sealed under an earlier key is sealed again under the current one on the way.
 */
async function signingSecrets(deps: ConsumerDeps, hook: WebhookRow, now: Date): Promise<string[] | null> {
  const box = secretBox(deps.config);
  const sealed = [hook.secretSealed];
  if (hook.previousSecretSealed && hook.previousUntil && hook.previousUntil.getTime() > now.getTime())
    sealed.push(hook.previousSecretSealed);
  try {
    const opened = await Promise.all(sealed.map((value) => box.open(value, hook.id)));
    if (opened[0]?.stale) await deps.webhooks.update(hook.id, { secretSealed: await box.seal(opened[0].plain, hook.id) });
    return opened.map((secret) => secret.plain);
  } catch {
    return null;
  }
}

async function disable(deps: ConsumerDeps, id: string, now: Date): Promise<void> {
  await deps.webhooks.update(id, { enabled: false, disabledReason: "every delivery failed for 5 days", updatedAt: now });
  deps.log.error("webhook_disabled", { webhook_id: id, reason: "failing for 5 days" });
  await deps.securityEvents.insertAudit({
    userId: null,
    event: "webhook_disabled",
    actor: "system",
    target: `webhook:${id}`,
    ip: "",
    country: "",
    userAgent: "",
    requestId: "",
    createdAt: now,
  });
}
