// POST /auth/jwt/get-access/, /auth/jwt/get-refresh/ and /auth/jwt/check/
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { accessFromRefresh, rotateTokens } from "../services/session-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { refreshBody, tokenPairSchema } from "./schemas.ts";

const refreshRequest = jsonBody(refreshBody);
const refreshErrors = {
  400: errorResponse(
    "VALIDATION_ERROR (no refresh), or INVALID_REFRESH_TOKEN: malformed, badly signed, expired, revoked, reused or not a refresh token",
  ),
  429: errorResponse("RATE_LIMITED: too many requests from this client IP (Retry-After)"),
  503: errorResponse("SERVICE_UNAVAILABLE: Redis unreachable"),
};

const getAccessRoute = createRoute({
  method: "post",
  path: "/auth/jwt/get-access",
  tags: ["tokens"],
  summary: "A new access token from a refresh token (which is not rotated)",
  middleware: [action("jwt access"), limitPerIp("token")] as const,
  request: refreshRequest,
  responses: {
    200: jsonContent(successEnvelope(tokenPairSchema.omit({ refresh: true })), "A new access token"),
    ...refreshErrors,
  },
});

const getRefreshRoute = createRoute({
  method: "post",
  path: "/auth/jwt/get-refresh",
  tags: ["tokens"],
  summary: "Rotate: the refresh token is spent and a new pair returned",
  description:
    "Presenting a spent refresh token again revokes its whole session, except within a short grace window in which concurrent refreshes of one token all receive the same successor.",
  middleware: [action("jwt refresh"), limitPerIp("token")] as const,
  request: refreshRequest,
  responses: { 200: jsonContent(successEnvelope(tokenPairSchema), "The successor pair"), ...refreshErrors },
});

const checkSchema = z
  .object({
    user_id: z.string(),
    username: z.string(),
    email: z.string(),
    session_id: z.string(),
    expires_at: z.string().openapi({ description: "When the presented access token expires (ISO 8601)" }),
  })
  .openapi("TokenCheck");

const checkRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/jwt/check",
    tags: ["tokens"],
    summary: "Who the Bearer access token belongs to, and when it expires",
    middleware: [action("jwt"), requireAuth()] as const,
    responses: {
      200: jsonContent(successEnvelope(checkSchema), "The token's user"),
      401: errorResponse("NOT_AUTHENTICATED or INVALID_TOKEN"),
      503: errorResponse("SERVICE_UNAVAILABLE: Redis unreachable (fails closed)"),
    },
  }),
);

export const tokenRoutes = createRouter()
  .openapi(getAccessRoute, async (c) => {
    const result = await accessFromRefresh(c.var.deps, c.req.valid("json").refresh);
    return ok(c, result, 200);
  })
  .openapi(getRefreshRoute, async (c) => {
    const result = await rotateTokens(c.var.deps, c.req.valid("json").refresh);
    return ok(c, result, 200);
  })
  .openapi(checkRoute, (c) => {
    const { sub, username, email, sid, exp } = c.var.auth;
    const data = { user_id: sub, username, email, session_id: sid, expires_at: new Date(exp * 1000).toISOString() };
    return ok(c, data, 200);
  });
