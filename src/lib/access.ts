// What a route knows about its caller's access token. Two kinds, told apart by the type system:
// a CheckedAccess has passed the revocation check (denylist, tokens-valid-after); an
// UncheckedAccess has a valid signature but its revocation check is still to come, folded into
// the Redis script of the operation (logout, code confirms), which is the only code that accepts
// it. So a route cannot skip the check by forgetting it: the types offer no unchecked path.
import type { AccessClaims } from "./tokens.ts";

declare const checked: unique symbol;
declare const unchecked: unique symbol;

export type CheckedAccess = AccessClaims & { readonly [checked]: true };
export type UncheckedAccess = AccessClaims & { readonly [unchecked]: true };
