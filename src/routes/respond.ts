// How handlers answer: the success envelope, its message made from the route's action.
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";
import { successBody } from "../lib/envelope.ts";

/** The success envelope, its message made from the route's action: "<action> successful". */
export function ok<E extends AppEnv, T, S extends 200 | 201 | 202>(c: Context<E>, data: T, status: S) {
  return c.json(successBody(`${c.get("action")} successful`, data), status);
}
