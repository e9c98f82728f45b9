// Where each kind of provider lives and how it speaks: endpoints, scopes, and what it promises
// about the issuer of its ID tokens. Google, Apple and Microsoft are built in (their endpoints are
// published and stable, so no discovery fetch); a generic OpenID provider is found from its
// issuer's discovery document; GitHub is plain OAuth 2.0 (no ID token: its API says who signed in).
import type { OAuthProviderConfig } from "../../oauth-config.ts";
import { ProviderError } from "./errors.ts";
import { remoteJson } from "./remote-json.ts";

export interface ProviderEndpoints {
  authorization: string;
  token: string;
  /** OpenID providers: their keys; GitHub: none. */
  jwks: string | null;
  /** GitHub: its REST API (the user and their addresses). */
  api: string | null;
  scopes: string;
  /** Apple asks for form_post when names or addresses are requested. */
  formPost: boolean;
  pkce: boolean;
  /** Whether an ID token's `iss` is this provider's (Microsoft's multi-tenant endpoints name the user's tenant). */
  issuedBy(iss: unknown, claims: Record<string, unknown>): boolean;
  /** The secret scope its documents are cached under (remote-json.ts). */
  cacheScope: string;
}

type Endpoints = Omit<ProviderEndpoints, "cacheScope">;

const MICROSOFT = "https://login.microsoftonline.com";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The tenant of personal Microsoft accounts. */
const CONSUMERS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad";

/** Which tenants' tokens a configured tenant accepts (`organizations`: work accounts only; `consumers`: personal only). */
function tenantAccepts(tenant: string, tid: string): boolean {
  if (tenant === "common") return true;
  if (tenant === "organizations") return tid !== CONSUMERS_TENANT;
  if (tenant === "consumers") return tid === CONSUMERS_TENANT;
  return tid === tenant;
}

function microsoft(configured: string): Endpoints {
  const tenant = configured.toLowerCase();
  return {
    authorization: `${MICROSOFT}/${tenant}/oauth2/v2.0/authorize`,
    token: `${MICROSOFT}/${tenant}/oauth2/v2.0/token`,
    jwks: `${MICROSOFT}/${tenant}/discovery/v2.0/keys`,
    api: null,
    scopes: "openid email profile",
    formPost: false,
    pkce: true,
    // Tokens are issued in the user's own tenant, named by `tid` and in `iss`: both must agree,
    // and the tenant must be one the configuration lets in.
    issuedBy: (iss, claims) =>
      typeof claims.tid === "string" &&
      UUID.test(claims.tid) &&
      iss === `${MICROSOFT}/${claims.tid}/v2.0` &&
      tenantAccepts(tenant, claims.tid),
  };
}

function github(baseUrl: string): Endpoints {
  return {
    authorization: `${baseUrl}/login/oauth/authorize`,
    token: `${baseUrl}/login/oauth/access_token`,
    jwks: null,
    // github.com's API has its own host; GitHub Enterprise Server serves it under /api/v3.
    api: baseUrl === "https://github.com" ? "https://api.github.com" : `${baseUrl}/api/v3`,
    scopes: "read:user user:email",
    formPost: false,
    pkce: true,
    issuedBy: () => false,
  };
}

const GOOGLE: Endpoints = {
  authorization: "https://accounts.google.com/o/oauth2/v2/auth",
  token: "https://oauth2.googleapis.com/token",
  jwks: "https://www.googleapis.com/oauth2/v3/certs",
  api: null,
  scopes: "openid email profile",
  formPost: false,
  pkce: true,
  issuedBy: (iss) => iss === "https://accounts.google.com" || iss === "accounts.google.com",
};

const APPLE: Endpoints = {
  authorization: "https://appleid.apple.com/auth/authorize",
  token: "https://appleid.apple.com/auth/token",
  jwks: "https://appleid.apple.com/auth/keys",
  api: null,
  scopes: "name email",
  formPost: true,
  // Apple documents no PKCE for Sign in with Apple; state and nonce bind the flow.
  pkce: false,
  issuedBy: (iss) => iss === "https://appleid.apple.com",
};

/** A generic provider's endpoints, from its discovery document (cached, see remote-json.ts). */
async function discovered(issuer: string, cacheScope: string): Promise<Endpoints> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const metadata = (await remoteJson(url, cacheScope)) as Record<string, unknown>;
  const { authorization_endpoint: authorization, token_endpoint: token, jwks_uri: jwks } = metadata;
  // The document must be the issuer's own (OpenID Connect Discovery 4.3): no mix-up with another.
  // Its endpoints are https, as the issuer is (http only for a local issuer in development).
  const scheme = new URL(issuer).protocol;
  const sameScheme = (value: unknown): value is string =>
    typeof value === "string" && URL.canParse(value) && new URL(value).protocol === scheme;
  if (metadata.issuer !== issuer || !sameScheme(authorization) || !sameScheme(token) || !sameScheme(jwks))
    throw new ProviderError("failed", "discovery document does not match its issuer");
  return {
    authorization,
    token,
    jwks,
    api: null,
    scopes: "openid email profile",
    formPost: false,
    pkce: true,
    issuedBy: (iss) => iss === issuer,
  };
}

async function endpointsFor(provider: OAuthProviderConfig, cacheScope: string): Promise<Endpoints> {
  switch (provider.kind) {
    case "google":
      return GOOGLE;
    case "apple":
      return APPLE;
    case "microsoft":
      return microsoft(provider.tenant);
    case "github":
      return github(provider.baseUrl);
    case "oidc":
      return discovered(provider.issuer, cacheScope);
  }
}

/** A provider's endpoints; `cacheScope` keeps its cached documents this service's own. */
export async function endpointsOf(provider: OAuthProviderConfig, cacheScope: string): Promise<ProviderEndpoints> {
  return { ...(await endpointsFor(provider, cacheScope)), cacheScope };
}
