// Who sent the request, as Cloudflare tells it: CF-Connecting-IP (set on every request at the
// edge; locally a client-sent one passes through, which lets tests act as many clients) and the
// request's cf.country. X-Forwarded-For is never trusted: any client can write it.
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import type { RequestContext } from "../services/security-log.ts";

export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("CF-Connecting-IP")?.trim().slice(0, 45) || "unknown";
}

export function requestContext(c: Context<AppEnv>): RequestContext {
  const cf = (c.req.raw as Request & { cf?: { country?: unknown } }).cf;
  return {
    requestId: c.get("requestId") ?? "",
    ip: clientIp(c),
    country: typeof cf?.country === "string" ? cf.country.slice(0, 2) : "",
    userAgent: (c.req.header("User-Agent") ?? "").slice(0, 256),
  };
}
