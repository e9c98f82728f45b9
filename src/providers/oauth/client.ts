// The provider side of a redirect flow: the URL that sends the browser to the provider, and,
// when it comes back, the code redeemed (one token request) and the identity read: from the ID
// token for OpenID providers (verified, see id-token.ts), from the REST API for GitHub.
import type { OAuthProviderConfig } from "../../oauth-config.ts";
import { appleClientSecret } from "./apple-secret.ts";
import type { ProviderEndpoints } from "./catalog.ts";
import { ProviderError, providerFetch } from "./errors.ts";
import { githubIdentity } from "./github.ts";
import { type ProviderIdentity, verifyIdToken } from "./id-token.ts";

export interface FlowSecrets {
  state: string;
  nonce: string;
  /** The PKCE verifier; its S256 challenge goes in the URL. */
  verifier: string;
}

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export async function authorizationUrl(
  provider: OAuthProviderConfig,
  endpoints: ProviderEndpoints,
  callbackUrl: string,
  secrets: FlowSecrets,
): Promise<string> {
  const url = new URL(endpoints.authorization);
  const params: Record<string, string> = {
    response_type: "code",
    client_id: provider.clientId,
    redirect_uri: callbackUrl,
    scope: endpoints.scopes,
    state: secrets.state,
  };
  if (endpoints.jwks) params.nonce = secrets.nonce;
  if (endpoints.pkce)
    Object.assign(params, { code_challenge: await pkceChallenge(secrets.verifier), code_challenge_method: "S256" });
  if (endpoints.formPost) params.response_mode = "form_post";
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

/** The token endpoint's answer: an access token, and an ID token from OpenID providers. */
async function redeemCode(
  provider: OAuthProviderConfig,
  endpoints: ProviderEndpoints,
  code: string,
  callbackUrl: string,
  verifier: string,
  now: Date,
): Promise<{ accessToken: string; idToken: string | null }> {
  const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: callbackUrl });
  if (endpoints.pkce) body.set("code_verifier", verifier);
  const headers: Record<string, string> = { accept: "application/json", "content-type": "application/x-www-form-urlencoded" };
  if (provider.apple) {
    body.set("client_id", provider.clientId);
    body.set("client_secret", await appleClientSecret(provider.apple, provider.clientId, now));
  } else {
    // client_secret_basic (RFC 6749 2.3.1: both parts form-encoded first).
    const encode = (part: string) => encodeURIComponent(part).replace(/%20/g, "+");
    headers.authorization = `Basic ${btoa(`${encode(provider.clientId)}:${encode(provider.clientSecret ?? "")}`)}`;
  }
  const response = await providerFetch(endpoints.token, { method: "POST", headers, body });
  if (response.status >= 500) throw new ProviderError("unavailable", `token endpoint HTTP ${response.status}`);
  const answer = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  // GitHub answers errors with 200 and an `error` field.
  if (!response.ok || !answer || typeof answer.error === "string" || typeof answer.access_token !== "string")
    throw new ProviderError(
      "failed",
      `token endpoint refused the code (HTTP ${response.status}, ${String(answer?.error ?? "no token")})`,
    );
  return { accessToken: answer.access_token, idToken: typeof answer.id_token === "string" ? answer.id_token : null };
}

/** Redeems the code and says who signed in. */
export async function identityFromCode(
  provider: OAuthProviderConfig,
  endpoints: ProviderEndpoints,
  input: { code: string; callbackUrl: string; secrets: FlowSecrets; now: Date },
): Promise<ProviderIdentity> {
  const tokens = await redeemCode(provider, endpoints, input.code, input.callbackUrl, input.secrets.verifier, input.now);
  if (endpoints.api) return githubIdentity(endpoints.api, tokens.accessToken);
  if (!tokens.idToken) throw new ProviderError("failed", "no ID token in the token response");
  const { identity } = await verifyIdToken(endpoints, tokens.idToken, {
    audiences: [provider.clientId],
    nonce: input.secrets.nonce,
    now: input.now,
  });
  return identity;
}
