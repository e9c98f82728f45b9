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
import { redisOutbox } from "./stores/outbox-store.ts";
import { createRedis } from "./stores/redis.ts";

export const DEAD_LETTER_SUFFIX = "-dlq";
const MAX_DELAY_SECONDS = 600;

export function retryDelaySeconds(baseSeconds: number, attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, baseSeconds * 2 ** Math.max(0, attempts - 1));
}

export async function handleQueue(batch: MessageBatch<DeliveryJob>, env: Bindings): Promise<void> {
  const log = createLogger({ queue: batch.queue });
  if (batch.queue.endsWith(DEAD_LETTER_SUFFIX)) {
    for (const message of batch.messages) {
      log.error("delivery_dead_letter", { attempts: message.attempts, job: describeJob(message.body), message_id: message.id });
      message.ack();
    }
    return;
  }
  const config = loadConfig(env);
  const redis = createRedis(config.UPSTASH_REDIS_REST_URL, config.UPSTASH_REDIS_REST_TOKEN, config.REDIS_TIMEOUT_MS);
  const now = () => new Date();
  const outbox = redisOutbox(redis, now);
  const mailer = createMailer(config, outbox);
  const sms = createSmsSender(config, outbox);
  await Promise.all(
    batch.messages.map(async (message) => {
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
