// POST /auth/user/login/: HTTP Basic as the original, or a JSON body.
import { createRoute, z } from "@hono/zod-openapi";
import { parseBasicAuth } from "../lib/basic-auth.ts";
import { validationError } from "../lib/errors.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { type LoginIdentifier, logIn } from "../services/login-service.ts";
import { PASSWORD_MAX_BYTES } from "../services/password-policy.ts";
import { CAPTCHA_FIELD, captchaField, captchaToken } from "./captcha.ts";
import { DEVICE_TOKEN_HEADER, deviceTokenOf, sendDeviceToken } from "./device-token.ts";
import { errorResponse, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { secondFactorRequiredSchema, tokenPairSchema } from "./schemas.ts";

const loginBody = z
  .object({
    username: z.string().min(1).max(254).optional(),
    email: z.string().min(1).max(254).optional(),
    password: z.string().min(1).optional(),
    ...captchaField,
  })
  .openapi("LoginRequest", { example: { username: "asha", password: "Tr1cky-Passphrase" } });

type LoginBody = z.infer<typeof loginBody>;

/** Basic wins when sent; otherwise exactly one of username/email, and a password, from the body. */
function credentials(authorization: string | undefined, body: LoginBody): { identifier: LoginIdentifier; password: string } {
  const basic = authorization ? parseBasicAuth(authorization) : undefined;
  if (basic?.kind === "malformed") throw validationError({ authorization: [basic.reason] });
  let result: { identifier: LoginIdentifier; password: string };
  if (basic?.kind === "basic") result = { identifier: { usernameOrEmail: basic.username }, password: basic.password };
  else {
    const given = [body.username, body.email].filter((value) => value !== undefined);
    if (given.length === 0 && body.password === undefined && basic?.kind === "other-scheme") {
      throw validationError({ authorization: ["Use HTTP Basic credentials or a JSON body."] });
    }
    const details: Record<string, string[]> = {};
    if (given.length !== 1) details.non_field_errors = ["Give exactly one of username or email."];
    if (body.password === undefined) details.password = ["This field is required."];
    if (Object.keys(details).length > 0) throw validationError(details);
    const identifier = body.username !== undefined ? { username: body.username } : { email: String(body.email) };
    result = { identifier, password: String(body.password) };
  }
  if (new TextEncoder().encode(result.password).length > PASSWORD_MAX_BYTES) {
    throw validationError({ password: [`Ensure this field has no more than ${PASSWORD_MAX_BYTES} bytes.`] });
  }
  return result;
}

const loginRoute = createRoute({
  method: "post",
  path: "/auth/user/login",
  tags: ["auth"],
  summary: "Log in: a new session with an access and a refresh token",
  description:
    "HTTP Basic `username:password` (split at the first colon; the username may also be the email), or without Basic a JSON body with exactly one of `username`/`email` and `password`. Wrong password and unknown account give the same 401. " +
    `A completed sign-in returns a device token (the \`${DEVICE_TOKEN_HEADER}\` header and an HttpOnly \`device_token\` cookie); sent back (header or cookie), it gives this device a failure budget of its own (docs/lockout.md).`,
  security: [{ basicAuth: [] }, {}],
  middleware: [action("login"), limitPerIp("login")] as const,
  request: { body: { content: { "application/json": { schema: loginBody } }, required: false } },
  responses: {
    429: errorResponse(
      "RATE_LIMITED: too many requests from this client IP, or this device's lockout or the name's guessing budget is in force (Retry-After)",
    ),
    200: jsonContent(
      successEnvelope(z.union([tokenPairSchema, secondFactorRequiredSchema])),
      "Tokens of the new session; or, with two-factor authentication on, no tokens but an mfa_token for /auth/secure/2fa/verify/",
    ),
    400: errorResponse(
      "VALIDATION_ERROR: malformed Basic header or body; CAPTCHA_REQUIRED (Turnstile on, after a few failures: send a token) or CAPTCHA_INVALID",
    ),
    401: errorResponse("INVALID_CREDENTIALS"),
    503: errorResponse("CAPTCHA_UNAVAILABLE: Turnstile could not be asked (fails closed), or SERVICE_UNAVAILABLE"),
  },
});

export const loginRoutes = createRouter().openapi(loginRoute, async (c) => {
  // The body is optional (Basic needs none), which zod-openapi's types do not model: it is
  // validated when present and absent otherwise.
  const body = (c.req.valid as (target: "json") => LoginBody | undefined)("json") ?? {};
  const { identifier, password } = credentials(c.req.header("Authorization"), body);
  const signIn = await logIn(c.var.deps, identifier, password, {
    captchaToken: captchaToken(c, body[CAPTCHA_FIELD]),
    deviceToken: deviceTokenOf(c),
  });
  sendDeviceToken(c, signIn.deviceToken);
  return ok(c, signIn.result, 200);
});
