// POST /auth/password/forget/, /auth/password/forget/confirm/, /auth/password/reset/
import { createRoute, z } from "@hono/zod-openapi";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { confirmResetCode, forgetPassword, resetPassword } from "../services/password-reset-service.ts";
import { CAPTCHA_FIELD, captchaField, captchaToken } from "./captcha.ts";
import { errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { otpSchema } from "./schemas.ts";

const names = {
  email: z.string().trim().max(254).email("Enter a valid email address.").optional(),
  username: z.string().trim().min(1).max(100).optional(),
};
const oneName = (body: { email?: string; username?: string }) => body.email !== undefined || body.username !== undefined;
const NEED_A_NAME = { message: "Give the email, the username, or both.", path: ["non_field_errors"] };

const forgetBody = z
  .object({ ...names, ...captchaField })
  .refine(oneName, NEED_A_NAME)
  .openapi("PasswordForgetRequest");
const confirmBody = z
  .object({ ...names, otp: otpSchema, ...captchaField })
  .refine(oneName, NEED_A_NAME)
  .openapi("PasswordForgetConfirmRequest");
const resetBody = z
  .object({
    ...names,
    otp: otpSchema.optional(),
    reset_token: z.string().min(1).max(200).optional(),
    password1: z.string().min(1, "This field may not be blank."),
    password2: z.string(),
    ...captchaField,
  })
  .refine(oneName, NEED_A_NAME)
  .refine((body) => (body.otp === undefined) !== (body.reset_token === undefined), {
    message: "Give either the code (otp) or the reset_token.",
    path: ["non_field_errors"],
  })
  .openapi("PasswordResetRequest");

const forgetRoute = createRoute({
  method: "post",
  path: "/auth/password/forget",
  tags: ["password"],
  summary: "Send a reset code to the account's email; the answer is the same whether or not an account matched",
  middleware: [action("password forget"), limitPerIp("password-reset")] as const,
  request: jsonBody(forgetBody),
  responses: {
    200: jsonContent(successEnvelope(z.string()), "Always"),
    400: errorResponse("VALIDATION_ERROR: malformed input; CAPTCHA_REQUIRED or CAPTCHA_INVALID (Turnstile on)"),
    503: errorResponse("CAPTCHA_UNAVAILABLE: Turnstile is on and could not be asked (fails closed)"),
    429: errorResponse("RATE_LIMITED: too many requests from this client IP (Retry-After)"),
  },
});

const confirmRoute = createRoute({
  method: "post",
  path: "/auth/password/forget/confirm",
  tags: ["password"],
  summary: "Check the reset code (the try counts) and get a single-use reset_token valid 10 minutes",
  middleware: [action("password forget confirm"), limitPerIp("password-reset")] as const,
  request: jsonBody(confirmBody),
  responses: {
    429: errorResponse("RATE_LIMITED: too many requests from this client IP (Retry-After)"),
    200: jsonContent(successEnvelope(z.object({ reset_token: z.string() })), "The code is right"),
    400: errorResponse("OTP_INVALID (the same for unknown accounts), or VALIDATION_ERROR"),
  },
});

const resetRoute = createRoute({
  method: "post",
  path: "/auth/password/reset",
  tags: ["password"],
  summary: "Set a new password with the code or the reset_token; every session is revoked, nobody is signed in",
  middleware: [action("password reset"), limitPerIp("password-reset")] as const,
  request: jsonBody(resetBody),
  responses: {
    429: errorResponse("RATE_LIMITED: too many requests from this client IP (Retry-After)"),
    200: jsonContent(successEnvelope(z.string()), "Password changed"),
    400: errorResponse("OTP_INVALID, or VALIDATION_ERROR (password rules, mismatch)"),
  },
});

export const passwordResetRoutes = createRouter()
  .openapi(forgetRoute, async (c) => {
    const body = c.req.valid("json");
    await forgetPassword(c.var.deps, body, captchaToken(c, body[CAPTCHA_FIELD]));
    return ok(c, "OTP sent to your email", 200);
  })
  .openapi(confirmRoute, async (c) => {
    // A Turnstile token is accepted and ignored here: no lockout applies to the mailbox path.
    const { otp, [CAPTCHA_FIELD]: _ignored, ...accountNames } = c.req.valid("json");
    const resetToken = await confirmResetCode(c.var.deps, accountNames, otp);
    return ok(c, { reset_token: resetToken }, 200);
  })
  .openapi(resetRoute, async (c) => {
    const body = c.req.valid("json");
    await resetPassword(c.var.deps, body);
    return ok(c, "Password Changed", 200);
  });
