// The admin API's webhooks (/admin/webhooks/*): webhooks:read to look, webhooks:write to change.
// Deliveries follow the Standard Webhooks specification (docs/operators.md).
import { createRoute, z } from "@hono/zod-openapi";
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  rotateWebhookSecret,
  sendTestMessage,
  updateWebhook,
  webhookDeliveries,
} from "../services/webhook-service.ts";
import { WEBHOOK_EVENTS } from "../webhooks/jobs.ts";
import { adminRoute, cursorQuery, idParam, limitQuery, pageCursor } from "./admin-parts.ts";
import { errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { createRouter } from "./router.ts";
import { plainText } from "./schemas.ts";

const webhookSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    events: z.array(z.enum(WEBHOOK_EVENTS)),
    signature: z.enum(["v1", "v1a"]),
    public_keys: z.array(z.string()).openapi({ description: "v1a: the Ed25519 keys (whpk_...) receivers verify with" }),
    previous_secret_until: z
      .string()
      .nullable()
      .openapi({ description: "After a rotation: the old secret signs too until then" }),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    failing_since: z.string().nullable(),
    created_by: z.string(),
    created_at: z.string(),
  })
  .openapi("Webhook");

const revealedSchema = webhookSchema.extend({
  secret: z.string().optional().openapi({ description: "v1: the signing secret (whsec_...), shown once" }),
  public_key: z.string().nullable().optional().openapi({ description: "v1a: the public key (whpk_...)" }),
});

const urlField = z.string().trim().min(1).max(2048).openapi({ description: "https, a public host name" });
const eventsField = z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length);

const createBody = z
  .strictObject({
    url: urlField,
    events: eventsField,
    description: plainText(200).default(""),
    signature: z.enum(["v1", "v1a"]).default("v1").openapi({ description: "v1: HMAC-SHA256; v1a: Ed25519" }),
  })
  .openapi("WebhookRequest");

const patchBody = z
  .strictObject({
    url: urlField.optional(),
    events: eventsField.optional(),
    description: plainText(200).optional(),
    enabled: z.boolean().optional(),
  })
  .openapi("WebhookPatch");

const notFound = { 404: errorResponse("NOT_FOUND: no such webhook") };
const badBody = { 400: errorResponse("VALIDATION_ERROR: url (https, public host), events or description") };

const createHookRoute = createRoute(
  adminRoute("webhook", "webhooks:write", {
    method: "post",
    path: "/admin/webhooks",
    summary: "Adds an endpoint; its signing secret (v1) or public key (v1a) is in this answer",
    request: jsonBody(createBody),
    responses: { 201: jsonContent(successEnvelope(revealedSchema), "Created"), ...badBody },
  }),
);

const listHooksRoute = createRoute(
  adminRoute("webhooks", "webhooks:read", {
    method: "get",
    path: "/admin/webhooks",
    summary: "The endpoints (never a secret)",
    responses: { 200: jsonContent(successEnvelope(z.object({ webhooks: z.array(webhookSchema) })), "The endpoints") },
  }),
);

const getHookRoute = createRoute(
  adminRoute("webhook", "webhooks:read", {
    method: "get",
    path: "/admin/webhooks/{id}",
    summary: "One endpoint",
    request: { params: idParam },
    responses: { 200: jsonContent(successEnvelope(webhookSchema), "The endpoint"), ...notFound },
  }),
);

const patchHookRoute = createRoute(
  adminRoute("webhook update", "webhooks:write", {
    method: "patch",
    path: "/admin/webhooks/{id}",
    summary: "Changes the URL, events, description, or enables/disables it",
    request: { params: idParam, ...jsonBody(patchBody) },
    responses: { 200: jsonContent(successEnvelope(webhookSchema), "Changed"), ...badBody, ...notFound },
  }),
);

const deleteHookRoute = createRoute(
  adminRoute("webhook deletion", "webhooks:write", {
    method: "delete",
    path: "/admin/webhooks/{id}",
    summary: "Removes the endpoint and its delivery records",
    request: { params: idParam },
    responses: { 200: jsonContent(successEnvelope(z.null()), "Removed"), ...notFound },
  }),
);

const rotateRoute = createRoute(
  adminRoute("webhook secret rotation", "webhooks:write", {
    method: "post",
    path: "/admin/webhooks/{id}/rotate-secret",
    summary: "A new secret (or key pair); the old one keeps signing for 24 h, both signatures sent",
    request: { params: idParam },
    responses: { 200: jsonContent(successEnvelope(revealedSchema), "The new secret, shown once"), ...notFound },
  }),
);

const testRoute = createRoute(
  adminRoute("webhook test", "webhooks:write", {
    method: "post",
    path: "/admin/webhooks/{id}/test",
    summary: "Sends a webhook.test message to this endpoint (through the queue, as any other)",
    request: { params: idParam },
    responses: {
      202: jsonContent(successEnvelope(z.object({ message_id: z.string() })), "Queued"),
      400: errorResponse("VALIDATION_ERROR: the endpoint is disabled"),
      ...notFound,
    },
  }),
);

const deliveriesRoute = createRoute(
  adminRoute("webhook deliveries", "webhooks:read", {
    method: "get",
    path: "/admin/webhooks/{id}/deliveries",
    summary: "The endpoint's deliveries, newest first: state, attempts, last status or error, next retry",
    request: { params: idParam, query: z.object({ cursor: cursorQuery, limit: limitQuery }) },
    responses: {
      200: jsonContent(
        successEnvelope(z.object({ deliveries: z.array(z.record(z.string(), z.unknown())), next: z.string().nullable() })),
        "A page",
      ),
      400: errorResponse("VALIDATION_ERROR: the cursor"),
      ...notFound,
    },
  }),
);

const deliveryCursor = pageCursor("d", /^[1-9]\d{0,17}$/);

export const adminWebhookRoutes = createRouter()
  .openapi(createHookRoute, async (c) => {
    const body = c.req.valid("json");
    return ok(c, await createWebhook(c.var.deps, c.var.actor, body), 201);
  })
  .openapi(listHooksRoute, async (c) => ok(c, { webhooks: await listWebhooks(c.var.deps) }, 200))
  .openapi(getHookRoute, async (c) => ok(c, await getWebhook(c.var.deps, c.req.valid("param").id), 200))
  .openapi(patchHookRoute, async (c) =>
    ok(c, await updateWebhook(c.var.deps, c.var.actor, c.req.valid("param").id, c.req.valid("json")), 200),
  )
  .openapi(deleteHookRoute, async (c) => {
    await deleteWebhook(c.var.deps, c.var.actor, c.req.valid("param").id);
    return ok(c, null, 200);
  })
  .openapi(rotateRoute, async (c) => ok(c, await rotateWebhookSecret(c.var.deps, c.var.actor, c.req.valid("param").id), 200))
  .openapi(testRoute, async (c) => ok(c, await sendTestMessage(c.var.deps, c.req.valid("param").id), 202))
  .openapi(deliveriesRoute, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const position = deliveryCursor.read(cursor);
    const before = position === undefined ? undefined : Number(position);
    const page = await webhookDeliveries(c.var.deps, c.req.valid("param").id, limit, before);
    return ok(c, { deliveries: page.deliveries, next: deliveryCursor.write(page.next) }, 200);
  });
