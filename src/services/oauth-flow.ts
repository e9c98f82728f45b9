// The redirect flow of "sign in with": start (the browser goes to the provider), callback (the
// provider sends it back), and the one-time code the app exchanges for tokens (oauth-exchange.ts).
//
// start: state, PKCE verifier and nonce are made and kept in Redis for 10 minutes under the
//   state's digest, with the app URL to return to (on the allowlist) and the digest of a random
//   cookie that binds the flow to this browser (a login CSRF needs the victim's browser to finish
//   a flow the attacker started: the cookie is not in the victim's browser). 302 to the provider.
// callback: the flow is taken (single use) and its cookie compared; the code is redeemed (1 token
//   request; the ID token checked against cached keys), the account found or made (1 MySQL read,
//   1 write for a new account or link), and the browser sent to the app with ?code=<one-time code>
//   or ?error=<CODE>. Tokens never travel in a URL.
// A link flow (a signed-in user adding a provider) has no cookie: the app gets the URL from an
// authenticated request, and its one-time code is only accepted with that same user's token.
import { base64url } from "jose";
import type { DeliveryDeps, Deps } from "../deps.ts";
import { documentCacheScope } from "../lib/derived-keys.ts";
import { AppError, validationError } from "../lib/errors.ts";
import { flowCodeKey, sealFlowCode } from "../lib/flow-codes.ts";
import { digestHex } from "../lib/hex.ts";
import { isAllowedRedirect } from "../lib/redirect-uris.ts";
import type { OAuthProviderConfig } from "../oauth-config.ts";
import { endpointsOf } from "../providers/oauth/catalog.ts";
import { authorizationUrl, identityFromCode } from "../providers/oauth/client.ts";
import { ProviderError } from "../providers/oauth/errors.ts";
import { sendEmail } from "./delivery.ts";
import { identityLinkedEmail } from "./messages.ts";
import { accountFor, FlowRefusal } from "./oauth-accounts.ts";

export const FLOW_TTL_SECONDS = 600;
const APP_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

const random = () => base64url.encode(crypto.getRandomValues(new Uint8Array(32)));

/** The enabled provider called `id`, or 404. */
export function providerNamed(deps: Pick<Deps, "config">, id: string): OAuthProviderConfig {
  const provider = deps.config.OAUTH.providers.find((candidate) => candidate.id === id);
  if (!provider) throw new AppError("NOT_FOUND", { message: "no such sign-in provider" });
  return provider;
}

/** A provider's endpoints, its documents cached under this service's own scope. */
export async function providerEndpoints(deps: Pick<Deps, "config">, provider: OAuthProviderConfig) {
  return endpointsOf(provider, await documentCacheScope(deps.config.JWT_PRIVATE_KEY));
}

export function enabledProviders(deps: Pick<Deps, "config">) {
  return deps.config.OAUTH.providers.map((provider) => ({
    id: provider.id,
    name: provider.name,
    kind: provider.kind === "github" ? ("oauth2" as const) : ("oidc" as const),
  }));
}

/** The cookie that binds a sign-in flow to the browser that started it (one per flow, so tabs do not collide). */
export const bindingCookieName = (stateDigest: string) => `lse_oauth_${stateDigest.slice(0, 16)}`;

export interface FlowRequest {
  provider: string;
  redirectUri: string;
  /**
   * The app's own PKCE challenge (S256 of a verifier it keeps). Required: it binds the one-time
   * code to the app instance that started the flow, so a code an attacker got from a flow of
   * their own cannot be fed to a victim's app (login CSRF), and a code leaked from a URL is useless.
   */
  appChallenge: string;
  /** This service's callback URL for the provider (as registered there). */
  callbackUrl: string;
}

function checkFlowRequest(deps: Pick<Deps, "config">, request: FlowRequest) {
  const provider = providerNamed(deps, request.provider);
  if (!isAllowedRedirect(request.redirectUri, deps.config.OAUTH.redirects))
    throw validationError({ redirect_uri: ["Not an allowed redirect URI: it must be on the service's list, exactly."] });
  if (!APP_CHALLENGE.test(request.appChallenge))
    throw validationError({ code_challenge: ["Must be the base64url SHA-256 of a verifier (43 characters)."] });
  return provider;
}

async function beginFlow(
  deps: Pick<Deps, "config" | "oauth">,
  provider: OAuthProviderConfig,
  request: FlowRequest,
  binding: string,
  linkUserId: string,
) {
  const endpoints = await withProvider(() => providerEndpoints(deps, provider));
  const secrets = { state: random(), verifier: random(), nonce: random() };
  const stateDigest = await digestHex("SHA-256", secrets.state);
  await deps.oauth.keepFlow(
    stateDigest,
    {
      provider: provider.id,
      verifier: secrets.verifier,
      nonce: secrets.nonce,
      redirectUri: request.redirectUri,
      binding: binding ? await digestHex("SHA-256", binding) : "",
      appChallenge: request.appChallenge,
      linkUserId,
    },
    FLOW_TTL_SECONDS,
  );
  return { url: await authorizationUrl(provider, endpoints, request.callbackUrl, secrets), stateDigest };
}

/** Starts a sign-in: where to send the browser, and the cookie that binds the flow to it. */
export async function startSignIn(deps: Pick<Deps, "config" | "oauth">, request: FlowRequest) {
  const provider = checkFlowRequest(deps, request);
  const binding = random();
  const { url, stateDigest } = await beginFlow(deps, provider, request, binding, "");
  return { url, cookie: { name: bindingCookieName(stateDigest), value: binding, maxAge: FLOW_TTL_SECONDS } };
}

/** Starts a link for a signed-in user: the provider URL for the app to open. */
export async function startLink(deps: Pick<Deps, "config" | "oauth">, userId: string, request: FlowRequest) {
  const provider = checkFlowRequest(deps, request);
  return { url: (await beginFlow(deps, provider, request, "", userId)).url };
}

/** Provider failures become ProviderError; an unreachable discovery document too. */
async function withProvider<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ProviderError && error.failure === "unavailable")
      throw new AppError("SERVICE_UNAVAILABLE", { message: "the sign-in provider is not answering", cause: error });
    if (error instanceof ProviderError)
      throw new AppError("CONFIG_ERROR", { message: "the sign-in provider is misconfigured", cause: error });
    throw error;
  }
}

export interface CallbackRequest {
  provider: string;
  params: URLSearchParams;
  cookie: (name: string) => string | undefined;
  callbackUrl: string;
}

type CallbackDeps = DeliveryDeps & Pick<Deps, "clock" | "identities" | "ids" | "oauth" | "securityLog" | "webhooks">;

const withQuery = (base: string, params: Record<string, string>) => {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
};

/**
 * The provider's answer. Without a flow to return to (no state, an unknown, used or expired one,
 * another provider's, or another browser's), 400 and no redirect. Otherwise the browser goes back
 * to the app, with a code or an error, and the binding cookie is cleared.
 */
export async function finishFlow(deps: CallbackDeps, request: CallbackRequest) {
  const state = request.params.get("state") ?? "";
  if (!state || state.length > 200) throw validationError({ state: ["Missing or malformed state."] });
  const stateDigest = await digestHex("SHA-256", state);
  const flow = await deps.oauth.takeFlow(stateDigest);
  const cookieName = bindingCookieName(stateDigest);
  const invalid = () => validationError({ state: ["Unknown, used or expired sign-in; start again."] });
  if (!flow || flow.provider !== request.provider) throw invalid();
  if (!flow.linkUserId) {
    const binding = request.cookie(cookieName);
    if (!binding || (await digestHex("SHA-256", binding)) !== flow.binding) throw invalid();
  }
  const back = (params: Record<string, string>) => ({ location: withQuery(flow.redirectUri, params), clearCookie: cookieName });
  // The provider said no (the user cancelled, or it refused the request).
  const providerError = request.params.get("error");
  if (providerError) return back({ error: providerError === "access_denied" ? "ACCESS_DENIED" : "PROVIDER_ERROR" });
  const code = request.params.get("code");
  if (!code) return back({ error: "PROVIDER_ERROR" });
  try {
    const provider = providerNamed(deps, flow.provider);
    const now = deps.clock.now();
    const endpoints = await providerEndpoints(deps, provider);
    // RFC 9207: an authorization server that names itself must be the one the flow went to (mix-up).
    const issuerParam = request.params.get("iss");
    if (issuerParam !== null && provider.kind === "oidc" && issuerParam !== provider.issuer)
      return back({ error: "PROVIDER_ERROR" });
    const identity = await identityFromCode(provider, endpoints, {
      code,
      callbackUrl: request.callbackUrl,
      secrets: { state, verifier: flow.verifier, nonce: flow.nonce },
      now,
    });
    const key = await flowCodeKey(deps.config.JWT_PRIVATE_KEY);
    if (flow.linkUserId) {
      const sealed = await sealFlowCode(
        key,
        {
          kind: "link",
          userId: flow.linkUserId,
          appChallenge: flow.appChallenge,
          identity: {
            provider: provider.id,
            subject: identity.subject,
            email: identity.email,
            emailVerified: identity.emailVerified,
          },
        },
        now,
      );
      return back({ code: sealed });
    }
    const account = await accountFor(deps, provider.id, identity);
    if (account.linked)
      sendEmail(deps, "identity linked notice", identityLinkedEmail(deps.config.APP_NAME, account.user.email, provider.name));
    if (!account.created) {
      const at = deps.clock.now();
      deps.background("recording the identity's use", () =>
        deps.identities.recordUse(account.identityId, at, identity.email, identity.emailVerified),
      );
    }
    const sealed = await sealFlowCode(
      key,
      { kind: "sign-in", userId: account.user.id, appChallenge: flow.appChallenge, identityId: account.identityId },
      now,
    );
    return back({ code: sealed });
  } catch (error) {
    if (error instanceof FlowRefusal) return back({ error: error.code });
    if (error instanceof ProviderError) {
      deps.log.warn("oauth_provider_failed", { provider: flow.provider, failure: error.failure, detail: error.message });
      return back({ error: error.failure === "unavailable" ? "PROVIDER_UNAVAILABLE" : "PROVIDER_ERROR" });
    }
    if (error instanceof AppError && error.status === 503) return back({ error: "SERVICE_UNAVAILABLE" });
    throw error;
  }
}
