// Logout, logout everywhere, and the caller's sessions.
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireAuthCheckedByScript } from "../middleware/auth.ts";
import { logOut, revokeEverySession, revokeOwnSession, sessionsOf } from "../services/session-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { refreshBody } from "./schemas.ts";

const logoutRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/user/logout",
    tags: ["sessions"],
    summary: "End this session: its refresh family and the presented access token die",
    // The logout script checks the access token's revocation itself: one Redis round trip in all.
    middleware: [action("logout"), requireAuthCheckedByScript()] as const,
    request: jsonBody(refreshBody),
    responses: {
      200: jsonContent(successEnvelope(z.null()), "Logged out"),
      400: errorResponse("VALIDATION_ERROR, or INVALID_REFRESH_TOKEN (invalid, or not the caller's)"),
    },
  }),
);

const logoutAllRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/user/logout-all",
    tags: ["sessions"],
    summary: "End every session of the user; every token issued until now dies",
    middleware: [action("logout all"), requireAuth()] as const,
    responses: { 200: jsonContent(successEnvelope(z.null()), "Logged out everywhere") },
  }),
);

const sessionSchema = z
  .object({
    id: z.string(),
    created_at: z.string(),
    last_used_at: z.string(),
    user_agent: z.string().nullable(),
    country: z.string().nullable(),
    current: z.boolean(),
  })
  .openapi("Session");

const listRoute = createRoute(
  bearerRoute({
    method: "get",
    path: "/auth/sessions",
    tags: ["sessions"],
    summary: "The caller's live sessions, most recently used first",
    // The listing script checks the access token's revocation itself: one Redis round trip in all.
    middleware: [action("sessions"), requireAuthCheckedByScript()] as const,
    responses: { 200: jsonContent(successEnvelope(z.object({ sessions: z.array(sessionSchema) })), "Sessions") },
  }),
);

const revokeRoute = createRoute(
  bearerRoute({
    method: "delete",
    path: "/auth/sessions/{id}",
    tags: ["sessions"],
    summary: "Revoke one of the caller's sessions",
    middleware: [action("session delete"), requireAuth()] as const,
    request: { params: z.object({ id: z.string().min(1).max(64) }) },
    responses: {
      200: jsonContent(successEnvelope(z.null()), "Revoked"),
      404: errorResponse("NOT_FOUND: unknown id, or another user's session"),
    },
  }),
);

export const sessionRoutes = createRouter()
  .openapi(logoutRoute, async (c) => {
    await logOut(c.var.deps, c.var.uncheckedAuth, c.req.valid("json").refresh);
    return ok(c, null, 200);
  })
  .openapi(logoutAllRoute, async (c) => {
    await revokeEverySession(c.var.deps, c.var.auth.sub);
    return ok(c, null, 200);
  })
  .openapi(listRoute, async (c) => {
    const sessions = await sessionsOf(c.var.deps, c.var.uncheckedAuth);
    return ok(c, { sessions }, 200);
  })
  .openapi(revokeRoute, async (c) => {
    await revokeOwnSession(c.var.deps, c.var.auth, c.req.valid("param").id);
    return ok(c, null, 200);
  });
