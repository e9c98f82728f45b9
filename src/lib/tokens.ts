// Access and refresh tokens: EdDSA-signed JWTs with distinct `typ` headers and `token_type`
// claims, so neither can stand in for the other. Verification pins algorithm, key id, issuer,
// audience, type and time, and never follows keys named inside the token.
import { type JWTHeaderParameters, jwtVerify, SignJWT } from "jose";
import { type SigningKeys, TOKEN_ALGORITHM } from "./signing-keys.ts";

export const ACCESS_TOKEN_TYPE = "at+jwt";
export const REFRESH_TOKEN_TYPE = "rt+jwt";
/** Tolerated clock difference between us and whoever issued or presents a token. */
export const CLOCK_SKEW_SECONDS = 30;
const MAX_TOKEN_LENGTH = 4096;

export interface TokenSettings {
  issuer: string;
  audience: string;
}

export interface AccessClaims {
  sub: string;
  user_id: string;
  username: string;
  email: string;
  /** The session (refresh-token family) this access token was issued in. */
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  /** Issue time in milliseconds: revocation by `tokens_valid_after` needs sub-second precision. */
  iat_ms: number;
  /** "admin" opens the admin API; anything else reads as "user". */
  role: Role;
}

export type Role = "user" | "admin";
export const roleOf = (value: unknown): Role => (value === "admin" ? "admin" : "user");

export interface RefreshClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export class TokenError extends Error {}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Signs `payload` with the registered claims every token of ours carries. */
function sign(
  keys: SigningKeys,
  settings: TokenSettings,
  type: string,
  payload: Record<string, unknown>,
  claims: { subject: string; jti: string; issuedAt: number; expiresAt: number },
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: type, kid: keys.signing.kid })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(claims.subject)
    .setJti(claims.jti)
    .setIssuedAt(claims.issuedAt)
    .setNotBefore(claims.issuedAt)
    .setExpirationTime(claims.expiresAt)
    .sign(keys.signing.key);
}

export function signAccessToken(
  keys: SigningKeys,
  settings: TokenSettings,
  claims: {
    userId: string;
    username: string;
    email: string;
    sessionId: string;
    jti: string;
    issuedAtMs: number;
    ttlSeconds: number;
    role: Role;
  },
): Promise<string> {
  const iat = seconds(claims.issuedAtMs);
  const payload = {
    user_id: claims.userId,
    username: claims.username,
    email: claims.email,
    sid: claims.sessionId,
    token_type: "access",
    iat_ms: claims.issuedAtMs,
    role: claims.role,
  };
  return sign(keys, settings, ACCESS_TOKEN_TYPE, payload, {
    subject: claims.userId,
    jti: claims.jti,
    issuedAt: iat,
    expiresAt: iat + claims.ttlSeconds,
  });
}

/**
 * Deterministic for the same inputs (Ed25519 signatures are), which is what lets concurrent
 * refreshes inside the grace window all receive the very same successor token.
 */
export function signRefreshToken(
  keys: SigningKeys,
  settings: TokenSettings,
  claims: { userId: string; sessionId: string; jti: string; issuedAtMs: number; expiresAtMs: number },
): Promise<string> {
  return sign(
    keys,
    settings,
    REFRESH_TOKEN_TYPE,
    { sid: claims.sessionId, token_type: "refresh" },
    {
      subject: claims.userId,
      jti: claims.jti,
      issuedAt: seconds(claims.issuedAtMs),
      expiresAt: seconds(claims.expiresAtMs),
    },
  );
}

// Header parameters that would let a token choose its own verification key.
const FORBIDDEN_HEADERS = ["jku", "jwk", "x5u", "x5c", "crit"] as const;

async function verify(keys: SigningKeys, settings: TokenSettings, token: unknown, type: string, now: Date) {
  if (typeof token !== "string" || token.length === 0 || token.length > MAX_TOKEN_LENGTH) throw new TokenError("malformed");
  try {
    const { payload } = await jwtVerify(
      token,
      (header: JWTHeaderParameters) => {
        if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new TokenError("forbidden header");
        const key = header.kid ? keys.verification.get(header.kid) : undefined;
        if (!key) throw new TokenError("unknown kid");
        return key;
      },
      {
        algorithms: [TOKEN_ALGORITHM],
        issuer: settings.issuer,
        audience: settings.audience,
        typ: type,
        currentDate: now,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ["sub", "jti", "iat", "exp", "sid"],
      },
    );
    return payload;
  } catch (error) {
    throw error instanceof TokenError ? error : new TokenError(error instanceof Error ? error.message : "invalid");
  }
}

const isString = (value: unknown): value is string => typeof value === "string" && value.length > 0;

export async function verifyAccessToken(
  keys: SigningKeys,
  settings: TokenSettings,
  token: unknown,
  now: Date,
): Promise<AccessClaims> {
  const claims = await verify(keys, settings, token, ACCESS_TOKEN_TYPE, now);
  const { sub, user_id, username, email, sid, jti, iat, exp, iat_ms, role } = claims as Partial<AccessClaims> & {
    token_type?: unknown;
  };
  if (claims.token_type !== "access" || !isString(sub) || user_id !== sub || !isString(sid) || !isString(jti)) {
    throw new TokenError("not an access token");
  }
  if (typeof iat_ms !== "number" || typeof iat !== "number" || typeof exp !== "number") throw new TokenError("bad times");
  return {
    sub,
    user_id,
    username: String(username ?? ""),
    email: String(email ?? ""),
    sid,
    jti,
    iat,
    exp,
    iat_ms,
    role: roleOf(role),
  };
}

export async function verifyRefreshToken(
  keys: SigningKeys,
  settings: TokenSettings,
  token: unknown,
  now: Date,
): Promise<RefreshClaims> {
  const claims = await verify(keys, settings, token, REFRESH_TOKEN_TYPE, now);
  const { sub, sid, jti, iat, exp } = claims as Partial<RefreshClaims>;
  if (claims.token_type !== "refresh" || !isString(sub) || !isString(sid) || !isString(jti))
    throw new TokenError("not a refresh token");
  return { sub, sid, jti, iat: Number(iat), exp: Number(exp) };
}
