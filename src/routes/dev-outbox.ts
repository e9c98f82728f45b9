// GET /dev/outbox?to=ADDRESS: messages the log provider "sent", newest first. Mounted only in
// development and test; everywhere else the path does not exist (404).
import { createRoute, z } from "@hono/zod-openapi";
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

export const devOutboxRoutes = createRouter().openapi(outboxRoute, async (c) => {
  const messages = await outboxFor(c.var.deps, c.req.valid("query").to);
  return ok(c, { messages }, 200);
});
