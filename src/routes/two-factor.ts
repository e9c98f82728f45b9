// Two-factor settings of a signed-in user under /auth/secure/2fa/ (the login's second step is
// in two-factor-verify.ts).
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { sendSettingsCode, setCodeMethod } from "../services/two-factor-methods.ts";
import {
  confirmAuthenticator,
  disableTwoFactor,
  regenerateRecoveryCodes,
  type SecondFactorProof,
  setUpAuthenticator,
} from "../services/two-factor-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter, signedIn } from "./router.ts";
import { otpSchema, tokenPairSchema } from "./schemas.ts";

const password = z.string().min(1, "This field may not be blank.");
export const recoveryCode = z.string().trim().min(1, "This field may not be blank.").max(64);
const ONE_PROOF = { message: "Give either code or recovery_code.", path: ["non_field_errors"] };

/** Exactly one of a TOTP code and a recovery code. */
export const oneProof = (body: { code?: unknown; recovery_code?: unknown }) =>
  (body.code === undefined) !== (body.recovery_code === undefined);

export const proofOf = (body: { code?: string; recovery_code?: string }): SecondFactorProof =>
  body.code !== undefined ? { code: body.code } : { recoveryCode: String(body.recovery_code) };

/** The second factor some changes need while 2FA is on: at most one of code and recovery_code. */
export const optionalProofFields = { code: otpSchema.optional(), recovery_code: recoveryCode.optional() };
export const atMostOneProof = (body: { code?: unknown; recovery_code?: unknown }) =>
  body.code === undefined || body.recovery_code === undefined;
export const AT_MOST_ONE_PROOF = { message: "Give code or recovery_code, not both.", path: ["non_field_errors"] };
export const optionalProofOf = (body: { code?: string; recovery_code?: string }): SecondFactorProof | undefined =>
  body.code === undefined && body.recovery_code === undefined ? undefined : proofOf(body);
const WHEN_ON = "while 2FA is on, also code or recovery_code (a current second factor)";

const proofBody = z
  .object({ password, code: otpSchema.optional(), recovery_code: recoveryCode.optional() })
  .refine(oneProof, ONE_PROOF)
  .openapi("TwoFactorProofRequest", { example: { password: "Tr1cky-Passphrase", code: "123456" } });

const recoveryCodes = z.array(z.string()).openapi({ description: "10 single-use codes, shown only now" });
export const PROOF_ERRORS = {
  400: errorResponse("VALIDATION_ERROR: wrong password, 2FA not on, or not exactly one of code/recovery_code; OTP_INVALID"),
  429: errorResponse("RATE_LIMITED: too many requests from this client IP, or the account is cooling down (Retry-After)"),
};

const setupRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/secure/2fa/setup",
    tags: ["two-factor"],
    summary: `Start enrolling an authenticator app: a new secret, its otpauth:// URI and a QR code; nothing is enabled yet (password; ${WHEN_ON})`,
    middleware: [action("2fa setup"), limitPerIp("login"), requireAuth()] as const,
    request: jsonBody(
      z
        .object({ password, ...optionalProofFields })
        .refine(atMostOneProof, AT_MOST_ONE_PROOF)
        .openapi("TwoFactorSetupRequest"),
    ),
    responses: {
      200: jsonContent(
        successEnvelope(z.object({ secret: z.string(), otpauth_uri: z.string(), qr_svg: z.string() })),
        "The secret (base32), for the app; qr_svg is a data: URI",
      ),
      400: errorResponse(
        "VALIDATION_ERROR: wrong password, an app already enabled, TOTP not offered, or 2FA on and no second factor given; OTP_INVALID",
      ),
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

export const codeMethod = z.enum(["sms", "email"]);

const methodsRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/secure/2fa/methods",
    tags: ["two-factor"],
    summary: `SMS or email as a second factor, on or off (password; ${WHEN_ON}); the first method turns 2FA on with recovery codes`,
    middleware: [action("2fa methods"), limitPerIp("login"), requireAuth()] as const,
    request: jsonBody(
      z
        .object({ password, method: codeMethod, enabled: z.boolean(), ...optionalProofFields })
        .refine(atMostOneProof, AT_MOST_ONE_PROOF)
        .openapi("TwoFactorMethodRequest", {
          example: { password: "Tr1cky-Passphrase", method: "sms", enabled: true },
        }),
    ),
    responses: {
      200: jsonContent(
        successEnvelope(
          z.object({
            methods: z.array(z.enum(["totp", "sms", "email"])),
            recovery_codes: recoveryCodes.nullable(),
            tokens: tokenPairSchema,
          }),
        ),
        "The methods now on; recovery codes when this turned 2FA on; every other session revoked",
      ),
      400: errorResponse(
        "VALIDATION_ERROR: wrong password, method not offered, already so, the phone/email not verified, or 2FA on and no second factor given; OTP_INVALID",
      ),
      429: PROOF_ERRORS[429],
    },
  }),
);

const codeRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/secure/2fa/code",
    tags: ["two-factor"],
    summary: "Send a code by SMS or email, for disable or recovery-codes when no authenticator app is at hand",
    middleware: [action("2fa code"), limitPerIp("otp"), requireAuth()] as const,
    request: jsonBody(z.object({ method: codeMethod }).openapi("TwoFactorCodeRequest")),
    responses: {
      200: jsonContent(successEnvelope(z.string()), "Sent"),
      400: errorResponse("VALIDATION_ERROR: the method is not on (or its number/address no longer verified)"),
      429: errorResponse("RATE_LIMITED: resend cooldown, or too many requests from this client IP (Retry-After)"),
    },
  }),
);

export const twoFactorRoutes = createRouter()
  .openapi(setupRoute, async (c) => {
    const body = c.req.valid("json");
    return ok(c, await setUpAuthenticator(c.var.deps, signedIn(c.var.auth), body.password, optionalProofOf(body)), 200);
  })
  .openapi(confirmRoute, async (c) =>
    ok(c, await confirmAuthenticator(c.var.deps, signedIn(c.var.auth), c.req.valid("json").code), 200),
  )
  .openapi(disableRoute, async (c) => {
    const body = c.req.valid("json");
    return ok(c, await disableTwoFactor(c.var.deps, signedIn(c.var.auth), body.password, proofOf(body)), 200);
  })
  .openapi(regenerateRoute, async (c) => {
    const body = c.req.valid("json");
    return ok(c, await regenerateRecoveryCodes(c.var.deps, signedIn(c.var.auth), body.password, proofOf(body)), 200);
  })
  .openapi(methodsRoute, async (c) => {
    const body = c.req.valid("json");
    const caller = signedIn(c.var.auth);
    return ok(c, await setCodeMethod(c.var.deps, caller, body.password, body.method, body.enabled, optionalProofOf(body)), 200);
  })
  .openapi(codeRoute, async (c) => {
    await sendSettingsCode(c.var.deps, c.var.auth.sub, c.req.valid("json").method);
    return ok(c, "Code sent", 200);
  });
