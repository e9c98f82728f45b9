// Bearer authentication for protected routes: verifies the access token locally, then checks the
// denylist and the user's tokens_valid_after in ONE Redis round trip (no MySQL). Redis down means
// 503, never "let it through". Publishes the verified claims as c.var.auth.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { invalidTokenError, notAuthenticatedError } from "../lib/errors.ts";
import { TokenError, verifyAccessToken } from "../lib/tokens.ts";
import { tokenSettings } from "../services/token-pair.ts";
import { accessTokenRevoked } from "../stores/session-store.ts";

export interface AuthOptions {
  /**
   * The route checks revocation itself inside its own Redis script (logout), saving a round trip.
   * Only for routes that do so.
   */
  revocationCheckedByRoute?: boolean;
}

export function requireAuth(options: AuthOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header("Authorization");
    const match = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
    if (!match) throw notAuthenticatedError();
    const deps = c.var.deps;
    let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
    try {
      claims = await verifyAccessToken(deps.keys, tokenSettings(deps), match[1], deps.clock.now());
    } catch (error) {
      if (error instanceof TokenError) throw invalidTokenError();
      throw error;
    }
    if (!options.revocationCheckedByRoute && (await accessTokenRevoked(deps.redis, claims.sub, claims.jti, claims.iat_ms))) {
      throw invalidTokenError();
    }
    c.set("auth", claims);
    await next();
  };
}
