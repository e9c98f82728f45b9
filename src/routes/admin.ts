// The admin API (/admin/*): an admin's access token (role admin) for now; API keys come next.
import { createRoute, z } from "@hono/zod-openapi";
import { requireAdmin } from "../middleware/auth.ts";
import { userForAdmin } from "../services/admin-user-service.ts";
import { bearerRoute, errorResponse, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";

const userRoute = createRoute(
  bearerRoute({
    method: "get",
    path: "/admin/users/{id}",
    tags: ["admin"],
    summary: "One user: profile, role, second-factor methods, passkeys, linked identities, the last 20 security events",
    middleware: [action("admin user"), requireAdmin()] as const,
    request: { params: z.object({ id: z.string().min(1).max(64) }) },
    responses: {
      200: jsonContent(successEnvelope(z.record(z.string(), z.unknown())), "The user"),
      403: errorResponse("FORBIDDEN: the token is not an admin's"),
      404: errorResponse("NOT_FOUND: no such user"),
    },
  }),
);

export const adminRoutes = createRouter().openapi(userRoute, async (c) =>
  ok(c, await userForAdmin(c.var.deps, c.req.valid("param").id), 200),
);
