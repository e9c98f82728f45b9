// Worker entry point: HTTP requests go to the Hono app; delivery queue batches to the sender.
import { createApp } from "./app.ts";
import type { DeliveryJob } from "./delivery/jobs.ts";
import type { Bindings } from "./env.ts";
import { handleQueue } from "./queue.ts";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch: MessageBatch<DeliveryJob>, env: Bindings) => handleQueue(batch, env),
} satisfies ExportedHandler<Bindings, DeliveryJob>;
