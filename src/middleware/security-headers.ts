// Headers SECURITY.md asks for on every response, errors included.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";

const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'";

const HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
};

export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(HEADERS)) c.res.headers.set(name, value);
  // Only the docs page sets its own (wider) policy; everything else gets the strictest one.
  if (!c.res.headers.has("Content-Security-Policy")) c.res.headers.set("Content-Security-Policy", DEFAULT_CSP);
  if (c.res.headers.get("Content-Type") === "application/json")
    c.res.headers.set("Content-Type", "application/json; charset=utf-8");
  // Personal data and tokens must never sit in a shared cache; routes opt in to caching explicitly.
  if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
};
