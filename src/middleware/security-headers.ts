// Security headers on every response, errors included: Hono's secureHeaders for the
// standard set, and on top only what this API's contract adds (the strict default CSP, the JSON
// charset, no-store unless a route opts in to caching).
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../env.ts";

const DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'";

const standardHeaders = secureHeaders({
  strictTransportSecurity: "max-age=63072000; includeSubDomains",
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  crossOriginResourcePolicy: "same-origin",
});

const contractHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  // Only the docs page sets its own (wider) policy; everything else gets the strictest one.
  if (!c.res.headers.has("Content-Security-Policy")) c.res.headers.set("Content-Security-Policy", DEFAULT_CSP);
  if (c.res.headers.get("Content-Type") === "application/json")
    c.res.headers.set("Content-Type", "application/json; charset=utf-8");
  // Personal data and tokens must never sit in a shared cache; routes opt in to caching explicitly.
  if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
};

export const securityHeaders: MiddlewareHandler<AppEnv>[] = [standardHeaders, contractHeaders];
