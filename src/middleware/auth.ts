// Bearer authentication for protected routes: verifies the access token locally, then checks the
// denylist and the user's tokens_valid_after in ONE Redis round trip (no MySQL). Redis down means
// 503, never "let it through".
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import type { CheckedAccess, UncheckedAccess } from "../lib/access.ts";
import { AppError, invalidTokenError, notAuthenticatedError } from "../lib/errors.ts";
import { type AccessClaims, TokenError } from "../lib/tokens.ts";
import { ADMIN_SCOPES, type AdminActor, type AdminScope, actorOfApiKey, looksLikeApiKey } from "../services/api-key-service.ts";
import { accessRevoked } from "../services/session-service.ts";

function bearerToken<E extends AppEnv>(c: Context<E>): string | null {
  const header = c.req.header("Authorization");
  const match = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
  return match ? (match[1] as string) : null;
}

/** The Bearer token's claims, verified locally; shared by both middlewares below. */
async function verifiedClaims<E extends AppEnv>(c: Context<E>): Promise<AccessClaims> {
  const token = bearerToken(c);
  if (token === null) throw notAuthenticatedError();
  const deps = c.var.deps;
  try {
    return await deps.tokens.readAccess(token);
  } catch (error) {
    if (error instanceof TokenError) throw invalidTokenError();
    throw error;
  }
}

/** Protected routes: the token verified and its revocation checked; publishes c.var.auth. */
export function requireAuth(): MiddlewareHandler<AppEnv & { Variables: { auth: CheckedAccess } }> {
  return async (c, next) => {
    const claims = await verifiedClaims(c);
    const deps = c.var.deps;
    if (await accessRevoked(deps, claims)) throw invalidTokenError();
    c.set("auth", claims as CheckedAccess);
    await next();
  };
}

/**
 * Routes whose own Redis script checks revocation (saving a round trip): publishes
 * c.var.uncheckedAuth, which only those scripts' service functions accept, and no c.var.auth.
 */
export function requireAuthCheckedByScript(): MiddlewareHandler<AppEnv & { Variables: { uncheckedAuth: UncheckedAccess } }> {
  return async (c, next) => {
    c.set("uncheckedAuth", (await verifiedClaims(c)) as UncheckedAccess);
    await next();
  };
}

/**
 * Routes a token is optional on (a link's code needs its user's token; a sign-in's none): with an
 * Authorization header it must be valid, as for requireAuth; c.var.auth is set only then.
 */
export function optionalAuth(): MiddlewareHandler<AppEnv & { Variables: { auth?: CheckedAccess } }> {
  const required = requireAuth();
  return async (c, next) => {
    if (c.req.header("Authorization") === undefined) return next();
    return required(c as never, next);
  };
}

/**
 * The admin API: an API key (`Bearer lse_...`) holding `scope`, or a valid, unrevoked access token
 * whose role is admin (every scope). Publishes c.var.actor. A key that is unknown, deleted or
 * expired is 401 INVALID_TOKEN; a user's token or a key without the scope, 403 FORBIDDEN.
 * `"admin-token"`: admins only, never a key (keys cannot mint keys).
 */
export function requireAdmin(
  scope: AdminScope | "admin-token",
): MiddlewareHandler<AppEnv & { Variables: { actor: AdminActor } }> {
  const authenticated = requireAuth();
  return async (c, next) => {
    const presented = bearerToken(c);
    if (presented !== null && looksLikeApiKey(presented)) {
      const actor = await actorOfApiKey(c.var.deps, presented);
      if (!actor) throw invalidTokenError();
      if (scope === "admin-token" || !actor.scopes.includes(scope))
        throw new AppError("FORBIDDEN", {
          message: scope === "admin-token" ? "an admin's token is needed" : `needs scope ${scope}`,
        });
      c.set("actor", actor);
      return next();
    }
    return authenticated(c as never, async () => {
      const auth = (c as unknown as Context<AppEnv & { Variables: { auth: CheckedAccess } }>).var.auth;
      if (auth.role !== "admin") throw new AppError("FORBIDDEN", { message: "admins only" });
      c.set("actor", { id: `user:${auth.sub}`, scopes: ADMIN_SCOPES });
      await next();
    });
  };
}
