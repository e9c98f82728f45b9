// What handlers use to answer and to know their caller: the success envelope and client info.
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { successBody } from "../lib/envelope.ts";

/** Who is calling, as recorded with a session: user agent and Cloudflare's country guess. */
export function clientInfo<E extends AppEnv>(c: Context<E>) {
  const cf = (c.req.raw as Request & { cf?: { country?: unknown } }).cf;
  return {
    userAgent: c.req.header("User-Agent") ?? "",
    country: typeof cf?.country === "string" ? cf.country : "",
  };
}

/** The success envelope, its message made from the route's action: "<action> successful". */
export function ok<E extends AppEnv, T, S extends 200 | 201>(c: Context<E>, data: T, status: S) {
  return c.json(successBody(`${c.get("action")} successful`, data), status);
}
