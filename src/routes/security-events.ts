// GET /auth/security-events/: the caller's own security events, newest first, a page at a time.
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../middleware/auth.ts";
import { SECURITY_EVENTS, securityEventsOf } from "../services/security-log.ts";
import { bearerRoute, errorResponse, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";

const eventSchema = z
  .object({
    id: z.string(),
    event: z.string().openapi({ description: `One of: ${SECURITY_EVENTS.join(", ")}` }),
    created_at: z.string(),
    ip: z.string().nullable(),
    country: z.string().nullable(),
    user_agent: z.string().nullable(),
    actor: z
      .enum(["admin"])
      .nullable()
      .openapi({ description: '"admin" when an operator did it (no address or browser shown then)' }),
  })
  .openapi("SecurityEvent");

const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Events per page (1-100, default 20)" }),
  before: z
    .string()
    .regex(/^[1-9]\d{0,14}$/, "Use the `next` value of the previous page.")
    .optional()
    .openapi({ description: "The previous page's `next`: continue with older events" }),
});

const listRoute = createRoute(
  bearerRoute({
    method: "get",
    path: "/auth/security-events",
    tags: ["sessions"],
    summary: "The caller's security events (logins, lockouts, password and address changes, revocations), newest first",
    middleware: [action("security events"), requireAuth()] as const,
    request: { query: pageQuery },
    responses: {
      200: jsonContent(
        successEnvelope(z.object({ events: z.array(eventSchema), next: z.string().nullable() })),
        "A page of events; `next` is null on the last page",
      ),
      400: errorResponse("VALIDATION_ERROR: bad limit or before"),
    },
  }),
);

export const securityEventRoutes = createRouter().openapi(listRoute, async (c) => {
  const { limit, before } = c.req.valid("query");
  const page = await securityEventsOf(
    c.var.deps.securityEvents,
    c.var.auth.sub,
    limit,
    before === undefined ? undefined : Number(before),
  );
  return ok(c, page, 200);
});
