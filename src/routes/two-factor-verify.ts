// POST /auth/secure/2fa/verify/: the second step of a login with 2FA on. No Bearer token: the
// login's mfa_token, and a code (app, SMS or email) or a recovery code; or a method, to have an
// SMS or email code sent.
import { createRoute, z } from "@hono/zod-openapi";
import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { sendSecondFactorCode, verifySecondFactor } from "../services/second-factor.ts";
import { sendDeviceToken } from "./device-token.ts";
import { errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { otpSchema, tokenPairSchema } from "./schemas.ts";
import { codeMethod, PROOF_ERRORS, proofOf, recoveryCode } from "./two-factor.ts";
import { authenticationResponse } from "./webauthn-schemas.ts";

const verifyBody = z
  .object({
    mfa_token: z.string().min(1).max(128),
    code: otpSchema.optional(),
    recovery_code: recoveryCode.optional(),
    method: codeMethod.optional(),
    passkey: authenticationResponse.optional(),
  })
  .refine(
    (body) => [body.code, body.recovery_code, body.method, body.passkey].filter((value) => value !== undefined).length === 1,
    {
      message: "Give one of code, recovery_code, passkey, or method (to have a code sent).",
      path: ["non_field_errors"],
    },
  )
  .openapi("TwoFactorVerifyRequest", { example: { mfa_token: "q3V…", code: "123456" } });

const verifyRoute = createRoute({
  method: "post",
  path: "/auth/secure/2fa/verify",
  tags: ["two-factor"],
  summary:
    "The second step of a login with 2FA on: the login's mfa_token and a code (app, SMS or email), a recovery code, or a passkey's assertion (for the login's passkey_options) give the token pair; `method` sends an SMS or email code",
  middleware: [action("2fa verify"), limitPerIp("login")] as const,
  request: jsonBody(verifyBody),
  responses: {
    200: jsonContent(
      successEnvelope(z.union([tokenPairSchema, z.string()])),
      'Tokens of the new session; with `method`, the string "Code sent"',
    ),
    400: errorResponse(
      "OTP_INVALID (5 per mfa_token; each counts toward the device's lockout, or for a client without a device token the account's 20 an hour), or VALIDATION_ERROR",
    ),
    401: errorResponse("MFA_TOKEN_INVALID: unknown, expired (5 minutes), already used, or worn out by wrong codes"),
    429: PROOF_ERRORS[429],
  },
});

export const twoFactorVerifyRoutes = createRouter().openapi(verifyRoute, async (c) => {
  const body = c.req.valid("json");
  if (body.method !== undefined) {
    await sendSecondFactorCode(c.var.deps, body.mfa_token, body.method);
    return ok(c, "Code sent", 200);
  }
  const proof = body.passkey ? { passkey: body.passkey as unknown as AuthenticationResponseJSON } : proofOf(body);
  const signIn = await verifySecondFactor(c.var.deps, { mfaToken: body.mfa_token, ...proof });
  sendDeviceToken(c, signIn.deviceToken);
  return ok(c, signIn.result, 200);
});
