// GET /dev/outbox?to=ADDRESS: messages the log provider "sent", newest first; GET
// /dev/isolate-stats: this isolate's counters (cache hits, clients made). Mounted only in
// development and test; everywhere else the paths do not exist (404).
import { createRoute, z } from "@hono/zod-openapi";
import { isolateStats } from "../lib/isolate-stats.ts";
import { outboxFor } from "../services/delivery.ts";
import { jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";

const messageSchema = z.object({ to: z.string(), subject: z.string(), text: z.string(), created_at: z.string() });

const outboxRoute = createRoute({
  method: "get",
  path: "/dev/outbox",
  tags: ["development"],
  summary: "Development only: recent messages to an email address or phone number, newest first",
  middleware: [action("outbox")] as const,
  request: { query: z.object({ to: z.string().min(3).max(254) }) },
  responses: { 200: jsonContent(successEnvelope(z.object({ messages: z.array(messageSchema) })), "Messages") },
});

const statsRoute = createRoute({
  method: "get",
  path: "/dev/isolate-stats",
  tags: ["development"],
  summary: "Development only: this isolate's counters (configuration and key cache hits, MySQL and Redis clients made)",
  middleware: [action("isolate stats")] as const,
  responses: { 200: jsonContent(successEnvelope(z.record(z.string(), z.number())), "The counters") },
});

export const devOutboxRoutes = createRouter()
  .openapi(outboxRoute, async (c) => {
    const messages = await outboxFor(c.var.deps, c.req.valid("query").to);
    return ok(c, { messages }, 200);
  })
  .openapi(statsRoute, (c) => ok(c, { ...isolateStats }, 200));
