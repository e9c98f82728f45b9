// The signed-in user's account: update, password change, deletion.
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { changePassword, deleteAccount } from "../services/account-service.ts";
import { updateUserFields } from "../services/profile-service.ts";
import { deviceTokenOf, sendDeviceToken } from "./device-token.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter, signedIn } from "./router.ts";
import { dateString, genderSchema, integerLike, plainText, tokenPairSchema, userSchema } from "./schemas.ts";

// Strict: any field outside this allow-list (username, email, password, is_email_verified, ...)
// is a 400 naming it, and nothing is written.
const userUpdateBody = z
  .strictObject({
    first_name: plainText(150).optional(),
    last_name: plainText(150).optional(),
    gender: genderSchema.optional(),
    dob: dateString.nullable().optional(),
    country_alpha_code: plainText(5).nullable().optional(),
    country_name: plainText(100).nullable().optional(),
    country_phone_code: integerLike.nullable().optional(),
    phone_number: plainText(32).nullable().optional(),
  })
  .openapi("UserUpdateRequest", { example: { first_name: "Asha", country_alpha_code: "IN", phone_number: "98765 43210" } });

const updateRoute = (method: "put" | "patch") =>
  createRoute(
    bearerRoute({
      method,
      path: "/auth/user/update",
      tags: ["account"],
      summary: "Update the user's own fields (allow-listed); a changed phone number is unverified again",
      middleware: [action("update"), requireAuth()] as const,
      request: jsonBody(userUpdateBody),
      responses: {
        200: jsonContent(successEnvelope(userSchema), "The updated user"),
        400: errorResponse("VALIDATION_ERROR"),
      },
    }),
  );

const passwordChangeBody = z
  .object({
    old_password: z.string().min(1, "This field may not be blank."),
    password1: z.string().min(1, "This field may not be blank."),
    password2: z.string(),
  })
  .openapi("PasswordChangeRequest", {
    description: "The original's username/email fields are accepted and ignored: the account is always the Bearer user.",
  });

const passwordChangeRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/password/change",
    tags: ["account"],
    summary: "Change the password; every other session is revoked and this device gets a fresh pair",
    middleware: [action("password change"), limitPerIp("login"), requireAuth()] as const,
    request: jsonBody(passwordChangeBody),
    responses: {
      429: errorResponse("RATE_LIMITED: too many requests from this client IP, or the account is cooling down (Retry-After)"),
      200: jsonContent(successEnvelope(tokenPairSchema), "A fresh token pair for this device"),
      400: errorResponse("VALIDATION_ERROR: old_password wrong, password1 same as old or too weak, password2 mismatch"),
    },
  }),
);

const deleteRoute = createRoute(
  bearerRoute({
    method: "delete",
    path: "/auth/user/delete",
    tags: ["account"],
    summary: "Delete the account (password required): user, profile, image, sessions and tokens",
    middleware: [action("delete"), limitPerIp("login"), requireAuth()] as const,
    request: jsonBody(z.object({ password: z.string().min(1) }).openapi("DeleteRequest")),
    responses: {
      429: errorResponse("RATE_LIMITED: too many requests from this client IP, or the account is cooling down (Retry-After)"),
      200: jsonContent(successEnvelope(z.null()), "Deleted"),
      400: errorResponse("VALIDATION_ERROR: password wrong"),
    },
  }),
);

const router = createRouter();
for (const method of ["put", "patch"] as const) {
  router.openapi(updateRoute(method), async (c) => {
    const user = await updateUserFields(c.var.deps, c.var.auth.sub, c.req.valid("json"));
    return ok(c, user, 200);
  });
}

export const accountRoutes = router
  .openapi(passwordChangeRoute, async (c) => {
    const change = await changePassword(c.var.deps, signedIn(c.var.auth), c.req.valid("json"), deviceTokenOf(c));
    sendDeviceToken(c, change.deviceToken);
    return ok(c, change.result, 200);
  })
  .openapi(deleteRoute, async (c) => {
    await deleteAccount(c.var.deps, signedIn(c.var.auth), c.req.valid("json").password);
    return ok(c, null, 200);
  });
