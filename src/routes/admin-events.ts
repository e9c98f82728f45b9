// GET /admin/events/: the audit trail (scope events:read), newest first, a page at a time.
import { createRoute, z } from "@hono/zod-openapi";
import { auditEvents } from "../services/audit-service.ts";
import { SECURITY_EVENTS } from "../services/security-log.ts";
import { adminRoute, cursorQuery, limitQuery, pageCursor } from "./admin-parts.ts";
import { errorResponse, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { createRouter } from "./router.ts";

const auditEventSchema = z
  .object({
    id: z.string(),
    event: z.string(),
    created_at: z.string(),
    user_id: z.string().nullable().openapi({ description: "The account it concerns (null: an action on a key or webhook)" }),
    actor: z.string().nullable().openapi({ description: "user:<id> (an admin) or api_key:<id>; null when the user acted" }),
    target: z.string().nullable().openapi({ description: "What an admin action touched when not an account" }),
    ip: z.string().nullable(),
    country: z.string().nullable(),
    user_agent: z.string().nullable(),
    request_id: z.string().nullable(),
  })
  .openapi("AuditEvent");

const eventsQuery = z.object({
  user: z.string().min(1).max(36).optional().openapi({ description: "A user id" }),
  type: z.enum(SECURITY_EVENTS).optional().openapi({ description: "One event type" }),
  actor: z
    .string()
    .regex(/^(user|api_key):[A-Za-z0-9_-]{1,40}$/, "user:<id> or api_key:<id>")
    .optional()
    .openapi({ description: "user:<id> or api_key:<id>" }),
  cursor: cursorQuery,
  limit: limitQuery,
});

const eventsRoute = createRoute(
  adminRoute("admin events", "events:read", {
    method: "get",
    path: "/admin/events",
    summary: "Security events of every account, admin actions with their actor; newest first",
    request: { query: eventsQuery },
    responses: {
      200: jsonContent(
        successEnvelope(z.object({ events: z.array(auditEventSchema), next: z.string().nullable() })),
        "A page; `next` is null on the last one",
      ),
      400: errorResponse("VALIDATION_ERROR: a filter or the cursor"),
    },
  }),
);

const eventCursor = pageCursor("e", /^[1-9]\d{0,17}$/);

export const adminEventRoutes = createRouter().openapi(eventsRoute, async (c) => {
  const query = c.req.valid("query");
  const position = eventCursor.read(query.cursor);
  const before = position === undefined ? undefined : Number(position);
  const page = await auditEvents(c.var.deps, { userId: query.user, event: query.type, actor: query.actor }, query.limit, before);
  return ok(c, { events: page.events, next: eventCursor.write(page.next) }, 200);
});
