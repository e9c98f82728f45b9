// Sign in with Google, Apple, Microsoft, GitHub or an OpenID provider: GET /auth/oauth/providers/,
// the redirect flow (GET /auth/oauth/{provider}/start/ -> provider -> /callback/ -> the app's
// redirect_uri with ?code), POST /auth/oauth/exchange/, linking (POST /auth/oauth/{provider}/link/)
// and the native apps' ID tokens (POST /auth/oauth/{provider}/id-token/).
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { AppError } from "../lib/errors.ts";
import { optionalAuth, requireAuth } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { exchangeFlowCode, signInWithIdToken } from "../services/oauth-exchange.ts";
import { enabledProviders, finishFlow, providerNamed, startLink, startSignIn } from "../services/oauth-flow.ts";
import { requireRecentSignIn } from "../services/recent-sign-in.ts";
import { identitySchema } from "./identities.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter, signedIn } from "./router.ts";
import { secondFactorRequiredSchema, tokenPairSchema } from "./schemas.ts";
import { AT_MOST_ONE_PROOF, atMostOneProof, optionalProofFields, optionalProofOf } from "./two-factor.ts";

const providerParam = z.object({ provider: z.string().min(1).max(32) });
const redirectUri = z.string().min(1).max(2000).openapi({ description: "An app URL on OAUTH_REDIRECT_URIS, exactly" });
const appChallenge = z
  .string()
  .min(1)
  .max(64)
  .openapi({ description: "The app's PKCE: base64url SHA-256 of a verifier it keeps, sent at the exchange (required)" });
const redirect = (description: string) => ({ description, headers: z.object({ Location: z.string() }) });

const callbackUrl = (c: Context, provider: string) => new URL(`/auth/oauth/${provider}/callback`, c.req.url).toString();
const overHttps = (c: Context) => new URL(c.req.url).protocol === "https:";
/** Over https the binding cookie is a __Host- cookie: no sibling subdomain can set one for its own flow. */
const cookieName = (c: Context, name: string) => (overHttps(c) ? `__Host-${name}` : name);

const providersRoute = createRoute({
  method: "get",
  path: "/auth/oauth/providers",
  tags: ["sign in with"],
  summary: "The enabled sign-in providers, for the app's buttons",
  middleware: [action("sign-in providers")] as const,
  responses: {
    200: jsonContent(
      successEnvelope(
        z.object({ providers: z.array(z.object({ id: z.string(), name: z.string(), kind: z.enum(["oidc", "oauth2"]) })) }),
      ),
      "Providers",
    ),
  },
});

const startRoute = createRoute({
  method: "get",
  path: "/auth/oauth/{provider}/start",
  tags: ["sign in with"],
  summary:
    "Sends the browser to the provider (302); the flow is bound to this browser by a cookie (__Host- over https) and lives 10 minutes",
  middleware: [action("sign-in start"), limitPerIp("login")] as const,
  request: { params: providerParam, query: z.object({ redirect_uri: redirectUri, code_challenge: appChallenge }) },
  responses: {
    302: redirect("To the provider's sign-in page"),
    400: errorResponse("VALIDATION_ERROR: redirect_uri not on the allowlist (no redirect), code_challenge missing or malformed"),
    404: errorResponse("NOT_FOUND: no such provider enabled"),
    503: errorResponse("SERVICE_UNAVAILABLE: the provider's discovery document or Redis did not answer"),
  },
});

const callbackResponses = {
  302: redirect("To the app's redirect_uri with ?code=<one-time code, 60 s> or ?error=<CODE>"),
  400: errorResponse("VALIDATION_ERROR: state missing, unknown, used, expired, from another provider or another browser"),
};

const callbackRoute = createRoute({
  method: "get",
  path: "/auth/oauth/{provider}/callback",
  tags: ["sign in with"],
  summary: "Where the provider sends the browser back; ends in the app's redirect_uri",
  middleware: [action("sign-in callback"), limitPerIp("login")] as const,
  request: { params: providerParam },
  responses: callbackResponses,
});

const formCallbackRoute = createRoute({
  method: "post",
  path: "/auth/oauth/{provider}/callback",
  tags: ["sign in with"],
  summary: "Apple's form_post answer: sent on (303) to the GET callback, where the flow's SameSite cookie is present",
  middleware: [action("sign-in callback"), limitPerIp("login")] as const,
  request: { params: providerParam },
  responses: {
    303: redirect("To the GET callback with the same parameters"),
    404: errorResponse("NOT_FOUND: not a provider that posts its answer"),
  },
});

const exchangeRoute = createRoute({
  method: "post",
  path: "/auth/oauth/exchange",
  tags: ["sign in with"],
  summary:
    "Exchanges the one-time code for tokens (or mfa_required while 2FA is on); a link's code, with its user's Bearer token, for the identity",
  middleware: [action("sign-in exchange"), limitPerIp("login"), optionalAuth()] as const,
  request: jsonBody(z.strictObject({ code: z.string().min(1).max(4096), code_verifier: z.string().min(43).max(128) })),
  responses: {
    200: jsonContent(
      successEnvelope(z.union([tokenPairSchema, secondFactorRequiredSchema, z.object({ identity: identitySchema })])),
      "Tokens, the second step, or the linked identity",
    ),
    400: errorResponse(
      "OAUTH_CODE_INVALID: unknown, used, expired, another flow's (code_verifier), or a link's without its user's token",
    ),
    401: errorResponse("INVALID_TOKEN: a Bearer token that is not valid"),
    409: errorResponse("IDENTITY_IN_USE: (link) the identity signs in to another account"),
  },
});

const linkBody = z
  .strictObject({
    redirect_uri: redirectUri,
    code_challenge: appChallenge,
    password: z.string().min(1).max(1024).optional(),
    ...optionalProofFields,
  })
  .refine(atMostOneProof, AT_MOST_ONE_PROOF)
  .openapi("LinkRequest");

const linkRoute = createRoute(
  bearerRoute({
    method: "post",
    path: "/auth/oauth/{provider}/link",
    tags: ["sign in with"],
    summary:
      "Starts linking a provider to the caller's account: the URL to open; the code that comes back is exchanged with the caller's token",
    middleware: [action("identity link"), limitPerIp("login"), requireAuth()] as const,
    request: { params: providerParam, ...jsonBody(linkBody) },
    responses: {
      200: jsonContent(successEnvelope(z.object({ url: z.string() })), "The provider URL to send the browser to"),
      400: errorResponse("VALIDATION_ERROR: redirect_uri not allowed, wrong password"),
      401: errorResponse("REAUTHENTICATION_REQUIRED: the session began over 10 minutes ago; send `password`"),
      404: errorResponse("NOT_FOUND: no such provider enabled"),
    },
  }),
);

const idTokenRoute = createRoute({
  method: "post",
  path: "/auth/oauth/{provider}/id-token",
  tags: ["sign in with"],
  summary: "Native apps: signs in with an ID token from the provider's SDK (Google, Apple); each token once",
  middleware: [action("sign-in id token"), limitPerIp("login")] as const,
  request: {
    params: providerParam,
    ...jsonBody(z.strictObject({ id_token: z.string().min(1).max(8192), nonce: z.string().min(1).max(256).optional() })),
  },
  responses: {
    200: jsonContent(successEnvelope(z.union([tokenPairSchema, secondFactorRequiredSchema])), "Tokens, or the second step"),
    400: errorResponse("VALIDATION_ERROR: the provider shared no email address"),
    401: errorResponse("INVALID_CREDENTIALS: signature, issuer, audience, expiry or nonce wrong, or the token was used"),
    404: errorResponse("NOT_FOUND: no such provider enabled, or one without ID tokens"),
    409: errorResponse("ACCOUNT_EXISTS: an account has the address and the link rules do not allow joining it"),
  },
});

export const oauthRoutes = createRouter()
  .openapi(providersRoute, (c) => ok(c, { providers: enabledProviders(c.var.deps) }, 200))
  .openapi(startRoute, async (c) => {
    const { provider } = c.req.valid("param");
    const query = c.req.valid("query");
    const started = await startSignIn(c.var.deps, {
      provider,
      redirectUri: query.redirect_uri,
      appChallenge: query.code_challenge,
      callbackUrl: callbackUrl(c, provider),
    });
    setCookie(c, cookieName(c, started.cookie.name), started.cookie.value, {
      httpOnly: true,
      secure: overHttps(c),
      sameSite: "Lax",
      path: "/",
      maxAge: started.cookie.maxAge,
    });
    return c.redirect(started.url, 302);
  })
  .openapi(callbackRoute, async (c) => {
    const { provider } = c.req.valid("param");
    const done = await finishFlow(c.var.deps, {
      provider,
      params: new URL(c.req.url).searchParams,
      cookie: (name) => getCookie(c, cookieName(c, name)),
      callbackUrl: callbackUrl(c, provider),
    });
    deleteCookie(c, cookieName(c, done.clearCookie), { path: "/", secure: overHttps(c) });
    return c.redirect(done.location, 302);
  })
  .openapi(formCallbackRoute, async (c) => {
    const { provider } = c.req.valid("param");
    if (providerNamed(c.var.deps, provider).kind !== "apple") throw new AppError("NOT_FOUND");
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const target = new URL(callbackUrl(c, provider));
    for (const name of ["state", "code", "error"])
      if (typeof form[name] === "string") target.searchParams.set(name, String(form[name]).slice(0, 4096));
    return c.redirect(target.toString(), 303);
  })
  .openapi(exchangeRoute, async (c) => {
    const body = c.req.valid("json");
    const auth = c.var.auth;
    const caller = auth ? signedIn(auth) : null;
    return ok(c, await exchangeFlowCode(c.var.deps, { code: body.code, codeVerifier: body.code_verifier }, caller), 200);
  })
  .openapi(linkRoute, async (c) => {
    const { provider } = c.req.valid("param");
    const body = c.req.valid("json");
    const caller = signedIn(c.var.auth);
    await requireRecentSignIn(c.var.deps, caller, { password: body.password, proof: optionalProofOf(body) });
    const started = await startLink(c.var.deps, caller.userId, {
      provider,
      redirectUri: body.redirect_uri,
      appChallenge: body.code_challenge,
      callbackUrl: callbackUrl(c, provider),
    });
    return ok(c, started, 200);
  })
  .openapi(idTokenRoute, async (c) => {
    const { provider } = c.req.valid("param");
    const body = c.req.valid("json");
    return ok(c, await signInWithIdToken(c.var.deps, provider, { idToken: body.id_token, nonce: body.nonce }), 200);
  });
