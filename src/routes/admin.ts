// The admin API's users (/admin/users/*): an admin's access token, or an API key with users:read
// (reads) or users:write (changes). Every change is a security event naming its actor.
import { createRoute, z } from "@hono/zod-openapi";
import { disableUser, enableUser, logOutUserEverywhere, userForAdmin } from "../services/admin-user-service.ts";
import { adminRoute, idParam } from "./admin-parts.ts";
import { errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { createRouter } from "./router.ts";

const userRoute = createRoute(
  adminRoute("admin user", "users:read", {
    method: "get",
    path: "/admin/users/{id}",
    summary: "One user: profile, role, second-factor methods, passkeys, linked identities, the last 20 security events",
    request: { params: idParam },
    responses: {
      200: jsonContent(successEnvelope(z.record(z.string(), z.unknown())), "The user"),
      404: errorResponse("NOT_FOUND: no such user"),
    },
  }),
);

const notFound = { 404: errorResponse("NOT_FOUND: no such user") };

/** An action on one user without a body: POST /admin/users/{id}/<what>, answering `data: null`. */
const userAction = (what: string, summary: string) =>
  createRoute(
    adminRoute(`admin user ${what}`, "users:write", {
      method: "post",
      path: `/admin/users/{id}/${what}`,
      summary,
      request: { params: idParam },
      responses: { 200: jsonContent(successEnvelope(z.null()), "Done"), ...notFound },
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
  adminRoute("admin user disable", "users:write", {
    method: "post",
    path: "/admin/users/{id}/disable",
    summary:
      "Disables the account: its sessions end at once; no sign-in by any path, refresh or reset (403 ACCOUNT_DISABLED after right credentials)",
    request: { params: idParam, ...jsonBody(disableBody) },
    responses: {
      200: jsonContent(successEnvelope(z.null()), "Disabled"),
      400: errorResponse("VALIDATION_ERROR: reason missing, until not a future ISO 8601 time"),
      ...notFound,
    },
  }),
);
const enableRoute = userAction("enable", "Enables a disabled account");
const logoutAllRoute = userAction("logout-all", "Ends every session of the user");

export const adminRoutes = createRouter()
  .openapi(userRoute, async (c) => ok(c, await userForAdmin(c.var.deps, c.req.valid("param").id), 200))
  .openapi(disableRoute, async (c) => {
    const body = c.req.valid("json");
    await disableUser(c.var.deps, c.var.actor, c.req.valid("param").id, {
      reason: body.reason,
      until: body.until === undefined ? undefined : new Date(body.until),
    });
    return ok(c, null, 200);
  })
  .openapi(enableRoute, async (c) => {
    await enableUser(c.var.deps, c.var.actor, c.req.valid("param").id);
    return ok(c, null, 200);
  })
  .openapi(logoutAllRoute, async (c) => {
    await logOutUserEverywhere(c.var.deps, c.var.actor, c.req.valid("param").id);
    return ok(c, null, 200);
  });
