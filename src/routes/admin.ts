// The admin API's users (/admin/users/*): an admin's access token, or an API key with users:read
// (reads) or users:write (changes). Every change is a security event naming its actor.
import { createRoute, z } from "@hono/zod-openapi";
import { createUserByAdmin, deleteUserByAdmin, patchUserByAdmin, resetTwoFactorByAdmin } from "../services/admin-user-changes.ts";
import {
  disableUser,
  enableUser,
  listUsers,
  logOutUserEverywhere,
  userForAdmin,
  userSummary,
} from "../services/admin-user-service.ts";
import { adminRoute, cursorQuery, idParam, limitQuery, pageCursor } from "./admin-parts.ts";
import { errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { createRouter } from "./router.ts";
import { emailField, plainText, usernameField } from "./schemas.ts";

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

const userSummarySchema = z
  .object({
    user_id: z.string(),
    username: z.string(),
    email: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    is_email_verified: z.boolean(),
    phone_number: z.string().nullable(),
    role: z.enum(["user", "admin"]),
    two_factor_methods: z.array(z.string()),
    disabled: z.boolean(),
    created_at: z.string(),
    last_login_at: z.string().nullable(),
  })
  .openapi("AdminUserSummary");

const booleanQuery = z.enum(["true", "false"]).transform((value) => value === "true");

const listQuery = z.object({
  q: z.string().trim().max(254).optional().openapi({ description: "A prefix of the email, username or id" }),
  status: z.enum(["active", "disabled"]).optional(),
  verified: booleanQuery.optional().openapi({ description: "Email verified (true|false)" }),
  two_factor: booleanQuery.optional().openapi({ description: "Two-factor on (true|false)" }),
  cursor: cursorQuery,
  limit: limitQuery,
});

const listRoute = createRoute(
  adminRoute("admin users", "users:read", {
    method: "get",
    path: "/admin/users",
    summary:
      "Finds users: by a prefix of email, username or id, by status, verification, second factor; in id order, a page at a time",
    request: { query: listQuery },
    responses: {
      200: jsonContent(
        successEnvelope(z.object({ users: z.array(userSummarySchema), next: z.string().nullable() })),
        "A page; `next` (opaque) is null on the last one",
      ),
      400: errorResponse("VALIDATION_ERROR: a filter or the cursor"),
    },
  }),
);

const createBody = z
  .strictObject({
    username: usernameField(),
    email: emailField(),
    first_name: plainText(150).default(""),
    last_name: plainText(150).default(""),
    phone_number: plainText(32).nullish().openapi({ description: "+E.164" }),
    is_email_verified: z.boolean().default(false),
  })
  .openapi("AdminNewUser");

const createUserRoute = createRoute(
  adminRoute("admin user creation", "users:write", {
    method: "post",
    path: "/admin/users",
    summary: "Creates a user without a password and mails them a code to set one (the password reset flow)",
    request: jsonBody(createBody),
    responses: {
      201: jsonContent(successEnvelope(userSummarySchema), "Created"),
      400: errorResponse("VALIDATION_ERROR: a field, or the username or email is taken"),
    },
  }),
);

const patchBody = z
  .strictObject({
    first_name: plainText(150).optional(),
    last_name: plainText(150).optional(),
    email: emailField()
      .optional()
      .openapi({ description: "Unverified after the change unless is_email_verified says otherwise" }),
    is_email_verified: z.boolean().optional(),
    phone_number: plainText(32).nullable().optional().openapi({ description: "+E.164, or null to remove" }),
    role: z.enum(["user", "admin"]).optional().openapi({ description: "Ends the user's sessions; an admin's token only" }),
  })
  .openapi("AdminUserPatch");

const patchUserRoute = createRoute(
  adminRoute("admin user update", "users:write", {
    method: "patch",
    path: "/admin/users/{id}",
    summary: "Changes names, email, is_email_verified, phone or role",
    request: { params: idParam, ...jsonBody(patchBody) },
    responses: {
      200: jsonContent(successEnvelope(z.record(z.string(), z.unknown())), "The user, as GET shows it"),
      400: errorResponse("VALIDATION_ERROR: a field, or the email is taken"),
      ...notFound,
    },
  }),
);

const deleteUserRoute = createRoute(
  adminRoute("admin user deletion", "users:write", {
    method: "delete",
    path: "/admin/users/{id}",
    summary: "Deletes the account and everything it holds (its sessions end at once); the audit trail keeps the deletion",
    request: { params: idParam },
    responses: { 200: jsonContent(successEnvelope(z.null()), "Deleted"), ...notFound },
  }),
);

const userCursor = pageCursor("u", /^[A-Za-z0-9-]{1,36}$/);

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
const resetTwoFactorRoute = userAction(
  "reset-2fa",
  "Turns two-factor authentication off (a lost device): every session ends, the user is told by mail",
);

export const adminRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const afterId = userCursor.read(query.cursor);
    const page = await listUsers(c.var.deps, {
      q: query.q,
      status: query.status,
      verified: query.verified,
      twoFactor: query.two_factor,
      afterId,
      limit: query.limit,
    });
    return ok(c, { users: page.users, next: userCursor.write(page.next) }, 200);
  })
  .openapi(createUserRoute, async (c) => {
    const row = await createUserByAdmin(c.var.deps, c.var.actor, c.req.valid("json"));
    return ok(c, userSummary(row, c.var.deps.clock.now()), 201);
  })
  .openapi(patchUserRoute, async (c) => {
    const id = c.req.valid("param").id;
    await patchUserByAdmin(c.var.deps, c.var.actor, id, c.req.valid("json"));
    return ok(c, await userForAdmin(c.var.deps, id), 200);
  })
  .openapi(deleteUserRoute, async (c) => {
    await deleteUserByAdmin(c.var.deps, c.var.actor, c.req.valid("param").id);
    return ok(c, null, 200);
  })
  .openapi(resetTwoFactorRoute, async (c) => {
    await resetTwoFactorByAdmin(c.var.deps, c.var.actor, c.req.valid("param").id);
    return ok(c, null, 200);
  })
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
