// Passkeys: /auth/passkeys/register/{options,verify}, /auth/passkeys/ (list), /auth/passkeys/{id}/
// (rename, delete), and sign-in: /auth/passkeys/login/{options,verify}. The browser's WebAuthn
// JSON (what @simplewebauthn/browser or PublicKeyCredential.toJSON() gives) goes in `response`.

import { createRoute, z } from "@hono/zod-openapi";
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { requireAuth } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { finishPasskeySignIn, startPasskeySignIn } from "../services/passkey-login.ts";
import {
  finishRegistration,
  listPasskeys,
  removePasskey,
  renamePasskey,
  startRegistration,
} from "../services/passkey-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { optionalBody, optionalJson, REAUTH, type ReauthBody, reauthBody, reauthOf } from "./recent-sign-in.ts";
import { ok } from "./respond.ts";
import { action, createRouter, signedIn } from "./router.ts";
import { tokenPairSchema } from "./schemas.ts";
import { authenticationResponse, registrationResponse } from "./webauthn-schemas.ts";

const passkeyName = z.string().trim().min(1).max(100);
const passkeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
    backed_up: z.boolean(),
    transports: z.array(z.string()),
  })
  .openapi("Passkey");
const idParam = z.object({ id: z.string().min(1).max(64) });
const optionsSchema = z.record(z.string(), z.unknown());
const registerOptionsRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/passkeys/register/options",
    tags: ["passkeys"],
    summary: "Options for navigator.credentials.create(): a discoverable, user-verified passkey for the caller",
    middleware: [action("passkey register options"), limitPerIp("login"), requireAuth()] as const,
    request: optionalJson(reauthBody),
    responses: {
      200: jsonContent(successEnvelope(optionsSchema), "PublicKeyCredentialCreationOptionsJSON (challenge valid 5 minutes)"),
      400: errorResponse("VALIDATION_ERROR: wrong password"),
      401: errorResponse(REAUTH),
    },
  }),
);

const registerVerifyRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/passkeys/register/verify",
    tags: ["passkeys"],
    summary: "Stores the passkey the browser made from the options; mails a notice",
    middleware: [action("passkey register"), limitPerIp("login"), requireAuth()] as const,
    request: jsonBody(z.strictObject({ response: registrationResponse, name: passkeyName.optional() })),
    responses: {
      201: jsonContent(successEnvelope(passkeySchema), "The new passkey"),
      400: errorResponse(
        "VALIDATION_ERROR: the response did not verify (challenge, origin, RP ID, user verification), or it is registered already",
      ),
    },
  }),
);

const listRoute = createRoute(
  bearerRoute({
    method: "get",
    path: "/auth/passkeys",
    tags: ["passkeys"],
    summary: "The caller's passkeys, oldest first",
    middleware: [action("passkeys"), requireAuth()] as const,
    responses: { 200: jsonContent(successEnvelope(z.object({ passkeys: z.array(passkeySchema) })), "Passkeys") },
  }),
);

const renameRoute = createRoute(
  bearerRoute({
    method: "patch",
    path: "/auth/passkeys/{id}",
    tags: ["passkeys"],
    summary: "Renames one of the caller's passkeys",
    middleware: [action("passkey rename"), requireAuth()] as const,
    request: { params: idParam, ...jsonBody(z.strictObject({ name: passkeyName })) },
    responses: {
      200: jsonContent(successEnvelope(z.null()), "Renamed"),
      404: errorResponse("NOT_FOUND: unknown id, or another user's passkey"),
    },
  }),
);

const deleteRoute = createRoute(
  bearerRoute({
    method: "delete",
    path: "/auth/passkeys/{id}",
    tags: ["passkeys"],
    summary: "Removes one of the caller's passkeys; never the account's last way to sign in",
    middleware: [action("passkey delete"), limitPerIp("login"), requireAuth()] as const,
    request: { params: idParam, ...optionalJson(reauthBody) },
    responses: {
      200: jsonContent(successEnvelope(z.null()), "Removed"),
      400: errorResponse("VALIDATION_ERROR: wrong password, or the account's last way to sign in"),
      401: errorResponse(REAUTH),
      404: errorResponse("NOT_FOUND: unknown id, or another user's passkey"),
    },
  }),
);

const loginOptionsRoute = createRoute({
  method: "post",
  path: "/auth/passkeys/login/options",
  tags: ["passkeys"],
  summary: "Options for navigator.credentials.get(): any passkey of this site (usernameless, autofill), or the named account's",
  description: "The answer is the same for a username that matches no account.",
  middleware: [action("passkey login options"), limitPerIp("login")] as const,
  request: optionalJson(z.strictObject({ username: z.string().trim().min(1).max(254).optional() })),
  responses: {
    200: jsonContent(successEnvelope(optionsSchema), "PublicKeyCredentialRequestOptionsJSON (challenge valid 5 minutes)"),
    400: errorResponse("VALIDATION_ERROR: username is not a string of 1..254"),
    429: errorResponse("RATE_LIMITED: too many requests from this client IP"),
  },
});

const loginVerifyRoute = createRoute({
  method: "post",
  path: "/auth/passkeys/login/verify",
  tags: ["passkeys"],
  summary:
    "Signs in with the browser's assertion: the token pair (no second-factor step: a user-verified passkey is two factors)",
  middleware: [action("passkey login"), limitPerIp("login")] as const,
  request: jsonBody(z.strictObject({ response: authenticationResponse })),
  responses: {
    200: jsonContent(successEnvelope(tokenPairSchema), "Tokens of the new session"),
    400: errorResponse("VALIDATION_ERROR: not a WebAuthn assertion"),
    401: errorResponse(
      "INVALID_CREDENTIALS: unknown passkey, bad signature, wrong origin or RP ID, no user verification, unknown or spent challenge, another account's challenge, or a sign count gone backwards",
    ),
  },
});

export const passkeyRoutes = createRouter()
  .openapi(registerOptionsRoute, async (c) => {
    const body = optionalBody<ReauthBody>(c.req);
    return ok(c, await startRegistration(c.var.deps, signedIn(c.var.auth), reauthOf(body)), 200);
  })
  .openapi(registerVerifyRoute, async (c) => {
    const body = c.req.valid("json");
    const input = { response: body.response as unknown as RegistrationResponseJSON, name: body.name };
    return ok(c, await finishRegistration(c.var.deps, signedIn(c.var.auth), input), 201);
  })
  .openapi(listRoute, async (c) => ok(c, { passkeys: await listPasskeys(c.var.deps, signedIn(c.var.auth)) }, 200))
  .openapi(renameRoute, async (c) => {
    await renamePasskey(c.var.deps, signedIn(c.var.auth), c.req.valid("param").id, c.req.valid("json").name);
    return ok(c, null, 200);
  })
  .openapi(deleteRoute, async (c) => {
    const body = optionalBody<ReauthBody>(c.req);
    await removePasskey(c.var.deps, signedIn(c.var.auth), c.req.valid("param").id, reauthOf(body));
    return ok(c, null, 200);
  })
  .openapi(loginOptionsRoute, async (c) => {
    const body = optionalBody<{ username?: string }>(c.req);
    return ok(c, await startPasskeySignIn(c.var.deps, body.username), 200);
  })
  .openapi(loginVerifyRoute, async (c) => {
    const response = c.req.valid("json").response as unknown as AuthenticationResponseJSON;
    return ok(c, await finishPasskeySignIn(c.var.deps, response), 200);
  });
