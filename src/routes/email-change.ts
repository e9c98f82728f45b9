// POST /auth/user/email/change/ {new_email, password} and /auth/user/email/confirm/ {otp}
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireAuthCheckedByScript } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { confirmEmailChange, requestEmailChange } from "../services/email-change-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter, signedIn } from "./router.ts";
import { otpSchema } from "./schemas.ts";

const changeBody = z
  .object({
    new_email: z
      .string()
      .normalize("NFKC")
      .trim()
      .max(254, "Ensure this field has no more than 254 characters.")
      .email("Enter a valid email address."),
    password: z.string().min(1, "This field may not be blank."),
  })
  .openapi("EmailChangeRequest");

const changeRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/user/email/change",
    tags: ["account"],
    summary: "Start an email change: a code goes to the new address (password required)",
    middleware: [action("email change"), limitPerIp("otp"), requireAuth()] as const,
    request: jsonBody(changeBody),
    responses: {
      200: jsonContent(successEnvelope(z.string()), "Code sent to the new address"),
      400: errorResponse("VALIDATION_ERROR: password wrong, address invalid, the same, or taken"),
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

export const emailChangeRoutes = createRouter()
  .openapi(changeRoute, async (c) => {
    const { new_email, password } = c.req.valid("json");
    await requestEmailChange(c.var.deps, signedIn(c.var.auth), new_email, password);
    return ok(c, "OTP sent to the new email address", 200);
  })
  .openapi(confirmRoute, async (c) => {
    const email = await confirmEmailChange(c.var.deps, c.var.uncheckedAuth, c.req.valid("json").otp);
    return ok(c, { email }, 200);
  });
