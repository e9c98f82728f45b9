// Two-factor authentication: the settings of a signed-in user under /auth/secure/2fa/, and the
// second step of a login (verify), which needs no Bearer token but the login's mfa_token.
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { verifySecondFactor } from "../services/second-factor.ts";
import {
  confirmAuthenticator,
  disableTwoFactor,
  regenerateRecoveryCodes,
  type SecondFactorProof,
  setUpAuthenticator,
} from "../services/two-factor-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { otpSchema, tokenPairSchema } from "./schemas.ts";

const password = z.string().min(1, "This field may not be blank.");
const recoveryCode = z.string().trim().min(1, "This field may not be blank.").max(64);
const ONE_PROOF = { message: "Give either code or recovery_code.", path: ["non_field_errors"] };

/** Exactly one of a TOTP code and a recovery code. */
const oneProof = (body: { code?: unknown; recovery_code?: unknown }) =>
  (body.code === undefined) !== (body.recovery_code === undefined);

const proofOf = (body: { code?: string; recovery_code?: string }): SecondFactorProof =>
  body.code !== undefined ? { code: body.code } : { recoveryCode: String(body.recovery_code) };

const proofBody = z
  .object({ password, code: otpSchema.optional(), recovery_code: recoveryCode.optional() })
  .refine(oneProof, ONE_PROOF)
  .openapi("TwoFactorProofRequest", { example: { password: "Tr1cky-Passphrase", code: "123456" } });

const recoveryCodes = z.array(z.string()).openapi({ description: "10 single-use codes, shown only now" });
const PROOF_ERRORS = {
  400: errorResponse("VALIDATION_ERROR: wrong password, 2FA not on, or not exactly one of code/recovery_code; OTP_INVALID"),
  429: errorResponse("RATE_LIMITED: too many requests from this client IP, or the account is cooling down (Retry-After)"),
};

const setupRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/secure/2fa/setup",
    tags: ["two-factor"],
    summary: "Start enrolling an authenticator app: a new secret, its otpauth:// URI and a QR code; nothing is enabled yet",
    middleware: [action("2fa setup"), limitPerIp("login"), requireAuth()] as const,
    request: jsonBody(z.object({ password }).openapi("TwoFactorSetupRequest")),
    responses: {
      200: jsonContent(
        successEnvelope(z.object({ secret: z.string(), otpauth_uri: z.string(), qr_svg: z.string() })),
        "The secret (base32), for the app; qr_svg is a data: URI",
      ),
      400: errorResponse("VALIDATION_ERROR: wrong password, an app already enabled, or TOTP not offered"),
      429: PROOF_ERRORS[429],
    },
  }),
);

const confirmRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/secure/2fa/confirm",
    tags: ["two-factor"],
    summary: "Enable the app with its first code: recovery codes, every other session revoked, a fresh pair for this device",
    middleware: [action("2fa confirm"), limitPerIp("otp"), requireAuth()] as const,
    request: jsonBody(z.object({ code: otpSchema }).openapi("TwoFactorConfirmRequest")),
    responses: {
      200: jsonContent(successEnvelope(z.object({ recovery_codes: recoveryCodes, tokens: tokenPairSchema })), "Enabled"),
      400: errorResponse("OTP_INVALID, or VALIDATION_ERROR: no setup pending"),
      429: PROOF_ERRORS[429],
    },
  }),
);

const disableRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/secure/2fa/disable",
    tags: ["two-factor"],
    summary: "Turn 2FA off with the password and a code (or a recovery code); every other session is revoked",
    middleware: [action("2fa disable"), limitPerIp("login"), requireAuth()] as const,
    request: jsonBody(proofBody),
    responses: { 200: jsonContent(successEnvelope(z.object({ tokens: tokenPairSchema })), "Disabled"), ...PROOF_ERRORS },
  }),
);

const regenerateRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/secure/2fa/recovery-codes",
    tags: ["two-factor"],
    summary: "New recovery codes (the old ones die), with the password and a code; every other session is revoked",
    middleware: [action("2fa recovery codes"), limitPerIp("login"), requireAuth()] as const,
    request: jsonBody(proofBody),
    responses: {
      200: jsonContent(successEnvelope(z.object({ recovery_codes: recoveryCodes, tokens: tokenPairSchema })), "New codes"),
      ...PROOF_ERRORS,
    },
  }),
);

const verifyBody = z
  .object({ mfa_token: z.string().min(1).max(128), code: otpSchema.optional(), recovery_code: recoveryCode.optional() })
  .refine(oneProof, ONE_PROOF)
  .openapi("TwoFactorVerifyRequest", { example: { mfa_token: "q3V…", code: "123456" } });

const verifyRoute = createRoute({
  method: "post",
  path: "/auth/secure/2fa/verify",
  tags: ["two-factor"],
  summary: "The second step of a login with 2FA on: the login's mfa_token and a code (or a recovery code) give the token pair",
  middleware: [action("2fa verify"), limitPerIp("login")] as const,
  request: jsonBody(verifyBody),
  responses: {
    200: jsonContent(successEnvelope(tokenPairSchema), "Tokens of the new session"),
    400: errorResponse("OTP_INVALID (5 per mfa_token, and they count toward the account's lockout), or VALIDATION_ERROR"),
    401: errorResponse("MFA_TOKEN_INVALID: unknown, expired (5 minutes), already used, or worn out by wrong codes"),
    429: PROOF_ERRORS[429],
  },
});

export const twoFactorRoutes = createRouter()
  .openapi(setupRoute, async (c) =>
    ok(c, await setUpAuthenticator(c.var.deps, c.var.auth.sub, c.req.valid("json").password), 200),
  )
  .openapi(confirmRoute, async (c) =>
    ok(c, await confirmAuthenticator(c.var.deps, c.var.auth.sub, c.req.valid("json").code), 200),
  )
  .openapi(disableRoute, async (c) => {
    const body = c.req.valid("json");
    return ok(c, await disableTwoFactor(c.var.deps, c.var.auth.sub, body.password, proofOf(body)), 200);
  })
  .openapi(regenerateRoute, async (c) => {
    const body = c.req.valid("json");
    return ok(c, await regenerateRecoveryCodes(c.var.deps, c.var.auth.sub, body.password, proofOf(body)), 200);
  })
  .openapi(verifyRoute, async (c) => {
    const body = c.req.valid("json");
    return ok(c, await verifySecondFactor(c.var.deps, { mfaToken: body.mfa_token, ...proofOf(body) }), 200);
  });
