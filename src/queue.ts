// The worker's queue handler: sends what the request path enqueued (src/services/delivery.ts).
// A failed send is retried with exponential backoff (DELIVERY_RETRY_DELAY_SECONDS, doubled per
// try, at most 10 minutes apart); after `max_retries` (wrangler.toml) Cloudflare moves the message
// to the dead-letter queue, whose batches are logged (without the message text: it holds a code)
// and dropped.

import { loadConfig } from "./config.ts";
import { createMailer, createSmsSender } from "./delivery/factory.ts";
import { type DeliveryJob, describeJob } from "./delivery/jobs.ts";
import type { Bindings } from "./env.ts";
import { createLogger } from "./lib/log.ts";
import { createDatabase } from "./stores/database.ts";
import { redisOutbox } from "./stores/outbox-store.ts";
import { createRedis } from "./stores/redis.ts";
import { securityEventStore } from "./stores/security-event-store.ts";
import { webhookStore } from "./stores/webhook-store.ts";
import { consumeWebhookJob } from "./webhooks/consumer.ts";
import { isWebhookJob, type WebhookJob } from "./webhooks/jobs.ts";

export const DEAD_LETTER_SUFFIX = "-dlq";
const MAX_DELAY_SECONDS = 600;

export function retryDelaySeconds(baseSeconds: number, attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, baseSeconds * 2 ** Math.max(0, attempts - 1));
}

export type QueueJob = DeliveryJob | WebhookJob;

export async function handleQueue(batch: MessageBatch<QueueJob>, env: Bindings): Promise<void> {
  const log = createLogger({ queue: batch.queue });
  if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) {
    for (const message of batch.messages) {
      const job = message.body;
      // Neither a code (mail, SMS) nor a webhook's data is logged: what it was, and to whom.
      const what = isWebhookJob(job)
        ? { webhook_id: job.kind === "webhook-delivery" ? job.webhookId : null, webhook_message: job.message.id }
        : { job: describeJob(job) };
      log.error(isWebhookJob(job) ? "webhook_dead_letter" : "delivery_dead_letter", {
        attempts: message.attempts,
        ...what,
        message_id: message.id,
      });
      message.ack();
    }
    return;
  }
  const config = loadConfig(env);
  const now = () => new Date();
  const webhookMessages = batch.messages.filter((message): message is Message<WebhookJob> => isWebhookJob(message.body));
  const deliveryMessages = batch.messages.filter((message): message is Message<DeliveryJob> => !isWebhookJob(message.body));
  if (webhookMessages.length > 0) {
    const db = createDatabase(config.DATABASE_URL, config.DATABASE_TIMEOUT_MS);
    const deps = {
      config,
      webhooks: webhookStore(db),
      securityEvents: securityEventStore(db),
      queue: env.WEBHOOK_QUEUE,
      log,
      now,
      fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init),
    };
    await Promise.all(
      webhookMessages.map(async (message) => {
        try {
          await consumeWebhookJob(deps, message);
        } catch (error) {
          // MySQL or the queue out of reach: the whole job again later.
          log.warn("webhook_job_failed", { kind: message.body.kind, attempts: message.attempts, error });
          message.retry({ delaySeconds: retryDelaySeconds(config.DELIVERY_RETRY_DELAY_SECONDS, message.attempts) });
        }
      }),
    );
  }
  if (deliveryMessages.length === 0) return;
  const redis = createRedis(config.UPSTASH_REDIS_REST_URL, config.UPSTASH_REDIS_REST_TOKEN, config.REDIS_TIMEOUT_MS);
  const outbox = redisOutbox(redis, now);
  const mailer = createMailer(config, outbox);
  const sms = createSmsSender(config, outbox);
  await Promise.all(
    deliveryMessages.map(async (message) => {
      const job = message.body;
      try {
        await (job.kind === "email" ? mailer.send(job.message) : sms.send(job.message));
        message.ack();
      } catch (error) {
        const delaySeconds = retryDelaySeconds(config.DELIVERY_RETRY_DELAY_SECONDS, message.attempts);
        log.warn("delivery_failed", { attempts: message.attempts, retry_in_seconds: delaySeconds, job: describeJob(job), error });
        message.retry({ delaySeconds });
      }
    }),
  );
}
