// Worker entry point: HTTP requests go to the Hono app; queue batches to the mail/SMS sender or the webhook consumer.
import { createApp } from "./app.ts";
import type { Bindings } from "./env.ts";
import { handleQueue, type QueueJob } from "./queue.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<QueueJob>, env: Bindings) => handleQueue(batch, env),
} satisfies ExportedHandler<Bindings, QueueJob>;
