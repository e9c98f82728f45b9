// Email sign-in codes: POST /auth/passwordless/email/ and /auth/passwordless/email/verify/
// (PASSWORDLESS_EMAIL=on; 404 otherwise).
import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { sendSignInCode, signInWithCode } from "../services/passwordless-service.ts";
import { CAPTCHA_FIELD, captchaField, captchaToken } from "./captcha.ts";
import { errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { otpSchema, secondFactorRequiredSchema, tokenPairSchema } from "./schemas.ts";

/** Off (PASSWORDLESS_EMAIL), the endpoints do not exist: 404 before anything is read. */
const whenEnabled: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.var.deps.config.PASSWORDLESS_EMAIL !== "on") throw new AppError("NOT_FOUND");
  await next();
};

const email = z.string().trim().max(254).email("Enter a valid email address.");
const OFF = "NOT_FOUND: email sign-in codes are off (PASSWORDLESS_EMAIL)";

const sendRoute = createRoute({
  method: "post",
  path: "/auth/passwordless/email",
  tags: ["auth"],
  summary: "Mails a sign-in code to the account with this email; the answer is the same whether or not one matched",
  middleware: [action("passwordless email"), whenEnabled, limitPerIp("password-reset")] as const,
  request: jsonBody(z.strictObject({ email, ...captchaField }).openapi("PasswordlessEmailRequest")),
  responses: {
    200: jsonContent(successEnvelope(z.string()), '"Code sent" (or nothing was: no account, cooldown, hourly cap)'),
    400: errorResponse("VALIDATION_ERROR; CAPTCHA_REQUIRED or CAPTCHA_INVALID (Turnstile on)"),
    404: errorResponse(OFF),
    429: errorResponse("RATE_LIMITED: too many requests from this client IP"),
  },
});

const verifyRoute = createRoute({
  method: "post",
  path: "/auth/passwordless/email/verify",
  tags: ["auth"],
  summary: "Signs in with the mailed code: the token pair, or mfa_required when two-factor authentication is on",
  middleware: [action("passwordless email verify"), whenEnabled, limitPerIp("login")] as const,
  request: jsonBody(z.strictObject({ email, code: otpSchema }).openapi("PasswordlessEmailVerifyRequest")),
  responses: {
    200: jsonContent(successEnvelope(z.union([tokenPairSchema, secondFactorRequiredSchema])), "Tokens, or the second step"),
    400: errorResponse(
      "OTP_INVALID: wrong, expired, used or worn-out code, or no such account (the same answer); VALIDATION_ERROR",
    ),
    404: errorResponse(OFF),
    429: errorResponse("RATE_LIMITED: too many requests from this client IP"),
  },
});

export const passwordlessRoutes = createRouter()
  .openapi(sendRoute, async (c) => {
    const body = c.req.valid("json");
    await sendSignInCode(c.var.deps, body.email, captchaToken(c, body[CAPTCHA_FIELD]));
    return ok(c, "Code sent", 200);
  })
  .openapi(verifyRoute, async (c) => {
    const body = c.req.valid("json");
    return ok(c, await signInWithCode(c.var.deps, body.email, body.code), 200);
  });
