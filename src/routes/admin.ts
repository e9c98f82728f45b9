// The admin API (/admin/*): an admin's access token (role admin) for now; API keys come next.
import { createRoute, z } from "@hono/zod-openapi";
import { requireAdmin } from "../middleware/auth.ts";
import { disableUser, enableUser, logOutUserEverywhere, userForAdmin } from "../services/admin-user-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";

const idParam = z.object({ id: z.string().min(1).max(64) });

const userRoute = createRoute(
  bearerRoute({
    method: "get",
    path: "/admin/users/{id}",
    tags: ["admin"],
    summary: "One user: profile, role, second-factor methods, passkeys, linked identities, the last 20 security events",
    middleware: [action("admin user"), requireAdmin()] as const,
    request: { params: idParam },
    responses: {
      200: jsonContent(successEnvelope(z.record(z.string(), z.unknown())), "The user"),
      403: errorResponse("FORBIDDEN: the token is not an admin's"),
      404: errorResponse("NOT_FOUND: no such user"),
    },
  }),
);

const adminErrors = {
  403: errorResponse("FORBIDDEN: the token is not an admin's"),
  404: errorResponse("NOT_FOUND: no such user"),
};

/** An action on one user without a body: POST /admin/users/{id}/<what>, answering `data: null`. */
const userAction = (what: string, summary: string) =>
  createRoute(
    bearerRoute({
      method: "post",
      path: `/admin/users/{id}/${what}`,
      tags: ["admin"],
      summary,
      middleware: [action(`admin user ${what}`), requireAdmin()] as const,
      request: { params: idParam },
      responses: { 200: jsonContent(successEnvelope(z.null()), "Done"), ...adminErrors },
    }),
  );

const disableBody = z
  .strictObject({
    reason: z.string().trim().min(1).max(200).openapi({ description: "For operators; never shown to the user" }),
    until: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: "Enabled again by itself then (ISO 8601, future)" }),
  })
  .openapi("DisableRequest");

const disableRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/admin/users/{id}/disable",
    tags: ["admin"],
    summary:
      "Disables the account: its sessions end at once; no sign-in by any path, refresh or reset (403 ACCOUNT_DISABLED after right credentials)",
    middleware: [action("admin user disable"), requireAdmin()] as const,
    request: { params: idParam, ...jsonBody(disableBody) },
    responses: {
      200: jsonContent(successEnvelope(z.null()), "Disabled"),
      400: errorResponse("VALIDATION_ERROR: reason missing, until not a future ISO 8601 time"),
      ...adminErrors,
    },
  }),
);
const enableRoute = userAction("enable", "Enables a disabled account");
const logoutAllRoute = userAction("logout-all", "Ends every session of the user");

export const adminRoutes = createRouter()
  .openapi(userRoute, async (c) => ok(c, await userForAdmin(c.var.deps, c.req.valid("param").id), 200))
  .openapi(disableRoute, async (c) => {
    const body = c.req.valid("json");
    await disableUser(c.var.deps, c.req.valid("param").id, {
      reason: body.reason,
      until: body.until === undefined ? undefined : new Date(body.until),
    });
    return ok(c, null, 200);
  })
  .openapi(enableRoute, async (c) => {
    await enableUser(c.var.deps, c.req.valid("param").id);
    return ok(c, null, 200);
  })
  .openapi(logoutAllRoute, async (c) => {
    await logOutUserEverywhere(c.var.deps, c.req.valid("param").id);
    return ok(c, null, 200);
  });
