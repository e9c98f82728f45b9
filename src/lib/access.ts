// What a route knows about its caller's access token. Two kinds, told apart by the type system:
// a CheckedAccess has passed the revocation check (denylist, tokens-valid-after, its session
// alive); an
// UncheckedAccess has a valid signature but its revocation check is still to come, folded into
// the Redis script of the operation (logout, code confirms), which is the only code that accepts
// it. So a route cannot skip the check by forgetting it: the types offer no unchecked path.
import type { AccessClaims } from "./tokens.ts";

declare const checked: unique symbol;
declare const unchecked: unique symbol;

export type CheckedAccess = AccessClaims & { readonly [checked]: true };
export type UncheckedAccess = AccessClaims & { readonly [unchecked]: true };

/** What the revocation check reads of an access token. */
export interface AccessRef {
  userId: string;
  sessionId: string;
  jti: string;
  issuedAtMs: number;
}

export const accessRef = (claims: AccessClaims): AccessRef => ({
  userId: claims.sub,
  sessionId: claims.sid,
  jti: claims.jti,
  issuedAtMs: claims.iat_ms,
});
