// The one token issuer, built once per request with the signing keys and token settings: the only
// code that signs or reads this service's JWTs. Sessions, rotation and the auth middleware all
// go through it, so a token's claims and lifetime are decided in one place.
import type { Clock, Ids } from "../lib/clock.ts";
import type { SigningKeys } from "../lib/signing-keys.ts";
import {
  type AccessClaims,
  type RefreshClaims,
  roleOf,
  signAccessToken,
  signRefreshToken,
  type TokenSettings,
  verifyAccessToken,
  verifyRefreshToken,
} from "../lib/tokens.ts";

export interface TokenPair {
  access: string;
  refresh: string;
  token_type: "Bearer";
  expires_in: number;
}

export interface TokenHolder {
  id: string;
  username: string;
  email: string;
  /** From the user row at sign-in, from Redis at refresh; missing reads as "user". */
  role?: string | null;
}

export interface RefreshToken {
  userId: string;
  sessionId: string;
  jti: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

export interface TokenIssuer {
  readonly accessTtlSeconds: number;
  /** A new access token (fresh jti) for a session. */
  access(holder: TokenHolder, sessionId: string, issuedAtMs: number): Promise<string>;
  /** A refresh token; deterministic for the same claims, which rotation's grace window relies on. */
  refresh(token: RefreshToken): Promise<string>;
  pair(access: string, refresh: string): TokenPair;
  /** Verified claims, or a TokenError. */
  readAccess(token: unknown): Promise<AccessClaims>;
  readRefresh(token: unknown): Promise<RefreshClaims>;
}

export interface TokenConfig {
  JWT_ISSUER: string;
  JWT_AUDIENCE: string;
  ACCESS_TOKEN_TTL_SECONDS: number;
}

export function createTokenIssuer(keys: SigningKeys, config: TokenConfig, clock: Clock, ids: Ids): TokenIssuer {
  const settings: TokenSettings = { issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE };
  const ttlSeconds = config.ACCESS_TOKEN_TTL_SECONDS;
  return {
    accessTtlSeconds: ttlSeconds,
    access: (holder, sessionId, issuedAtMs) =>
      signAccessToken(keys, settings, {
        userId: holder.id,
        username: holder.username,
        email: holder.email,
        sessionId,
        jti: ids.uuid(),
        issuedAtMs,
        ttlSeconds,
        role: roleOf(holder.role),
      }),
    refresh: (token) => signRefreshToken(keys, settings, token),
    pair: (access, refresh) => ({ access, refresh, token_type: "Bearer", expires_in: ttlSeconds }),
    readAccess: (token) => verifyAccessToken(keys, settings, token, clock.now()),
    readRefresh: (token) => verifyRefreshToken(keys, settings, token, clock.now()),
  };
}
