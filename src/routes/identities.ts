// Linked identities: GET /auth/identities/ and DELETE /auth/identities/{id}/.
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { listIdentities, unlinkIdentity } from "../services/identity-service.ts";
import { bearerRoute, errorResponse, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { optionalBody, optionalJson, REAUTH, type ReauthBody, reauthBody, reauthOf } from "./recent-sign-in.ts";
import { ok } from "./respond.ts";
import { action, createRouter, signedIn } from "./router.ts";

export const identitySchema = z
  .object({
    id: z.string(),
    provider: z.string(),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    created_at: z.string(),
    last_used_at: z.string().nullable(),
  })
  .openapi("Identity");

const listRoute = createRoute(
  bearerRoute({
    method: "get",
    path: "/auth/identities",
    tags: ["identities"],
    summary: "The caller's linked identities (accounts at other providers), oldest first",
    middleware: [action("identities"), requireAuth()] as const,
    responses: { 200: jsonContent(successEnvelope(z.object({ identities: z.array(identitySchema) })), "Identities") },
  }),
);

const unlinkRoute = createRoute(
  bearerRoute({
    method: "delete",
    path: "/auth/identities/{id}",
    tags: ["identities"],
    summary: "Unlinks one of the caller's identities; never the account's last way to sign in",
    middleware: [action("identity unlink"), limitPerIp("login"), requireAuth()] as const,
    request: { params: z.object({ id: z.string().min(1).max(64) }), ...optionalJson(reauthBody) },
    responses: {
      200: jsonContent(successEnvelope(z.null()), "Unlinked"),
      400: errorResponse(
        "VALIDATION_ERROR: wrong password, no second factor while 2FA is on, or the account's last way to sign in",
      ),
      401: errorResponse(REAUTH),
      404: errorResponse("NOT_FOUND: unknown id, or another user's identity"),
    },
  }),
);

export const identityRoutes = createRouter()
  .openapi(listRoute, async (c) => ok(c, { identities: await listIdentities(c.var.deps, signedIn(c.var.auth)) }, 200))
  .openapi(unlinkRoute, async (c) => {
    const body = optionalBody<ReauthBody>(c.req);
    await unlinkIdentity(c.var.deps, signedIn(c.var.auth), c.req.valid("param").id, reauthOf(body));
    return ok(c, null, 200);
  });
