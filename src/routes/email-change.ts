// POST /auth/user/email/change/ {new_email, password[, code | recovery_code]},
// /auth/user/email/confirm/ {otp} and /auth/user/email/undo/ {token}
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireAuthCheckedByScript } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { confirmEmailChange, requestEmailChange, undoEmailChange } from "../services/email-change-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter, signedIn } from "./router.ts";
import { otpSchema } from "./schemas.ts";
import { AT_MOST_ONE_PROOF, atMostOneProof, optionalProofFields, optionalProofOf } from "./two-factor.ts";

const changeBody = z
  .object({
    new_email: z
      .string()
      .normalize("NFKC")
      .trim()
      .max(254, "Ensure this field has no more than 254 characters.")
      .email("Enter a valid email address."),
    password: z.string().min(1, "This field may not be blank."),
    ...optionalProofFields,
  })
  .refine(atMostOneProof, AT_MOST_ONE_PROOF)
  .openapi("EmailChangeRequest");

const changeRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/user/email/change",
    tags: ["account"],
    summary:
      "Start an email change: a code goes to the new address (password; while 2FA is on, also code or recovery_code, a current second factor)",
    middleware: [action("email change"), limitPerIp("otp"), requireAuth()] as const,
    request: jsonBody(changeBody),
    responses: {
      200: jsonContent(successEnvelope(z.string()), "Code sent to the new address"),
      400: errorResponse(
        "VALIDATION_ERROR: password wrong, address invalid, the same, or taken, or 2FA on and no second factor given; OTP_INVALID",
      ),
      429: errorResponse("RATE_LIMITED: resend cooldown, or too many requests from this client IP (Retry-After)"),
    },
  }),
);

const confirmRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/user/email/confirm",
    tags: ["account"],
    summary: "Apply the new email with its code; it becomes the verified address and the old one is told",
    middleware: [action("email change confirm"), limitPerIp("otp"), requireAuthCheckedByScript()] as const,
    request: jsonBody(z.object({ otp: otpSchema })),
    responses: {
      429: errorResponse("RATE_LIMITED: too many requests from this client IP, or the account is cooling down (Retry-After)"),
      200: jsonContent(successEnvelope(z.object({ email: z.string() })), "Changed"),
      400: errorResponse("OTP_INVALID, or VALIDATION_ERROR: the address was taken meanwhile"),
    },
  }),
);

const undoRoute = createRoute({
  method: "post",
  path: "/auth/user/email/undo",
  tags: ["account"],
  summary: "Undo an email change with the token mailed to the old address: it comes back and every session is signed out",
  middleware: [action("email change undo"), limitPerIp("otp")] as const,
  request: jsonBody(z.object({ token: z.string().min(1, "This field may not be blank.").max(200) }).openapi("EmailUndoRequest")),
  responses: {
    200: jsonContent(successEnvelope(z.object({ email: z.string() })), "The old address is back"),
    400: errorResponse("VALIDATION_ERROR: the token is invalid, used or expired, or the old address was taken meanwhile"),
    429: errorResponse("RATE_LIMITED: too many requests from this client IP (Retry-After)"),
  },
});

export const emailChangeRoutes = createRouter()
  .openapi(changeRoute, async (c) => {
    const body = c.req.valid("json");
    await requestEmailChange(c.var.deps, signedIn(c.var.auth), body.new_email, body.password, optionalProofOf(body));
    return ok(c, "OTP sent to the new email address", 200);
  })
  .openapi(confirmRoute, async (c) => {
    const email = await confirmEmailChange(c.var.deps, c.var.uncheckedAuth, c.req.valid("json").otp);
    return ok(c, { email }, 200);
  })
  .openapi(undoRoute, async (c) => {
    const email = await undoEmailChange(c.var.deps, c.req.valid("json").token);
    return ok(c, { email }, 200);
  });
