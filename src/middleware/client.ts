// Who sent the request, as Cloudflare tells it: CF-Connecting-IP (set on every request at the
// edge; locally a client-sent one passes through, which lets tests act as many clients) and the
// request's cf.country. X-Forwarded-For is never trusted: any client can write it.
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import type { RequestContext } from "../services/security-log.ts";

export function clientIp(c: Context<AppEnv>): string {
  return c.req.header("CF-Connecting-IP")?.trim().slice(0, 45) || "unknown";
}

/**
 * What per-client limits count: an IPv4 address, or an IPv6 /64. One subscriber usually holds a
 * whole /64, so counting single IPv6 addresses would give an attacker 2^64 fresh clients.
 */
export function clientKey(ip: string): string {
  if (!ip.includes(":")) return ip;
  const [head = "", tail = ""] = ip.toLowerCase().split("::", 2);
  const left = head ? head.split(":") : [];
  const right = ip.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

export function requestContext(c: Context<AppEnv>): RequestContext {
  const cf = (c.req.raw as Request & { cf?: { country?: unknown; asn?: unknown } }).cf;
  return {
    requestId: c.get("requestId") ?? "",
    ip: clientIp(c),
    ipKey: clientKey(clientIp(c)),
    country: typeof cf?.country === "string" ? cf.country.slice(0, 2) : "",
    userAgent: (c.req.header("User-Agent") ?? "").slice(0, 256),
    asn: typeof cf?.asn === "number" ? String(cf.asn) : "",
  };
}
