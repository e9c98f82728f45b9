// ID tokens, verified with jose: the signature against the provider's published keys (cached; a
// key id not seen yet refetches them, at most once a minute), an asymmetric algorithm only (never
// `none`, never HS256 with a key anyone could guess), the issuer as the provider promises it, an
// audience among our client ids (with `azp` one of them when there are several), not expired,
// and the nonce when one is expected. What it yields is the identity the flows work with.
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import type { ProviderEndpoints } from "./catalog.ts";
import { ProviderError } from "./errors.ts";
import { lastAttempt, remoteJson } from "./remote-json.ts";

export interface ProviderIdentity {
  /** The provider's stable id for the user (`sub`). */
  subject: string;
  email: string | null;
  /** Only when the provider vouches for the address. */
  emailVerified: boolean;
  givenName: string | null;
  familyName: string | null;
}

const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
const REFETCH_AFTER_MS = 60_000;
const CLOCK_TOLERANCE_S = 60;

const text = (value: unknown, max: number) => (typeof value === "string" && value.trim() ? value.trim().slice(0, max) : null);

/** Apple sends booleans as strings ("true"); Microsoft vouches for an address with xms_edov. */
const vouched = (claims: JWTPayload) =>
  claims.email_verified === true || claims.email_verified === "true" || claims.xms_edov === true || claims.xms_edov === "1";

export function identityFromClaims(claims: JWTPayload): ProviderIdentity {
  const email = text(claims.email, 254);
  return {
    subject: String(claims.sub),
    email: email?.includes("@") ? email : null,
    emailVerified: Boolean(email) && vouched(claims),
    givenName: text(claims.given_name, 100),
    familyName: text(claims.family_name, 100),
  };
}

async function keysOf(jwksUrl: string, scope: string, fresh: boolean) {
  return createLocalJWKSet((await remoteJson(jwksUrl, scope, fresh)) as JSONWebKeySet);
}

export interface IdTokenExpectations {
  audiences: string[];
  /** The nonce the flow sent (checked equal), or null when none was sent (then none may be in the token). */
  nonce: string | null | ((claim: unknown) => Promise<boolean>);
  now: Date;
}

export async function verifyIdToken(endpoints: ProviderEndpoints, token: string, expect: IdTokenExpectations) {
  if (!endpoints.jwks) throw new ProviderError("failed", "this provider issues no ID tokens");
  const jwksUrl = endpoints.jwks;
  const options = {
    algorithms: ALGORITHMS,
    audience: expect.audiences,
    currentDate: expect.now,
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ["iss", "sub", "aud", "exp", "iat"],
  };
  let verified: Awaited<ReturnType<typeof jwtVerify>>;
  try {
    try {
      verified = await jwtVerify(token, await keysOf(jwksUrl, endpoints.cacheScope, false), options);
    } catch (error) {
      // A key we have not seen: the provider may have rotated. Refetch, but not on every bad token.
      if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - lastAttempt(jwksUrl) < REFETCH_AFTER_MS) throw error;
      verified = await jwtVerify(token, await keysOf(jwksUrl, endpoints.cacheScope, true), options);
    }
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    throw new ProviderError("failed", `ID token refused: ${error instanceof Error ? error.message : "invalid"}`, {
      cause: error,
    });
  }
  const claims = verified.payload;
  if (!endpoints.issuedBy(claims.iss, claims)) throw new ProviderError("failed", "ID token from another issuer");
  // Several audiences: the party it was issued to must be one of ours (OpenID Connect Core 3.1.3.7).
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if ((audiences.length > 1 || claims.azp !== undefined) && !expect.audiences.includes(String(claims.azp)))
    throw new ProviderError("failed", "ID token issued to another party (azp)");
  const nonceOk =
    typeof expect.nonce === "function"
      ? await expect.nonce(claims.nonce)
      : expect.nonce === null
        ? claims.nonce === undefined
        : claims.nonce === expect.nonce;
  if (!nonceOk) throw new ProviderError("failed", "ID token nonce does not match");
  return { claims, identity: identityFromClaims(claims) };
}
