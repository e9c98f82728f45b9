// Every router is an OpenAPIHono: the zod schemas that validate a request also document it, and
// every validation failure becomes the same VALIDATION_ERROR envelope with field-level details.
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { successBody } from "../lib/envelope.ts";
import { addFieldError, type FieldErrors, validationError } from "../lib/errors.ts";

export function zodDetails(error: z.ZodError): FieldErrors {
  const details: FieldErrors = {};
  for (const issue of error.issues) {
    // Strict (allow-listed) bodies: every field outside the list is named.
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) addFieldError(details, key, "This field cannot be updated.");
      continue;
    }
    const field = typeof issue.path[0] === "string" ? issue.path[0] : "non_field_errors";
    const missing = issue.code === "invalid_type" && issue.message.endsWith("received undefined");
    addFieldError(details, field, missing ? "This field is required." : issue.message);
  }
  return details;
}

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    // Every path answers with and without its trailing slash, without a redirect.
    strict: false,
    defaultHook: (result) => {
      if (!result.success) throw validationError(zodDetails(result.error));
    },
  });
}

/** Names the operation for the envelope's "<action> successful/failed" message. */
export function action(name: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("action", name);
    await next();
  };
}

const errorSchema = z.object({
  code: z.string().openapi({ example: "VALIDATION_ERROR" }),
  details: z.record(z.string(), z.array(z.string())).optional(),
});

export function successEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), message: z.string(), data, error: z.null() });
}

export const errorEnvelope = z
  .object({ success: z.literal(false), message: z.string(), data: z.null(), error: errorSchema })
  .openapi("Error");

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { content: { "application/json": { schema } }, description };
}

/** A required JSON request body validated (and documented) by `schema`. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { body: { content: { "application/json": { schema } }, required: true } };
}

export const errorResponse = (description: string) => jsonContent(errorEnvelope, description);

/** What every Bearer route can answer besides its own outcomes. */
export const bearerErrors = {
  401: errorResponse("NOT_AUTHENTICATED or INVALID_TOKEN (bad, expired or revoked token, or the user is gone)"),
  503: errorResponse("SERVICE_UNAVAILABLE: Redis unreachable (token checks fail closed)"),
};

/** Who is calling, as recorded with a session: user agent and Cloudflare's country guess. */
export function clientInfo<E extends AppEnv>(c: Context<E>) {
  const cf = (c.req.raw as Request & { cf?: { country?: unknown } }).cf;
  return {
    userAgent: c.req.header("User-Agent") ?? "",
    country: typeof cf?.country === "string" ? cf.country : "",
  };
}

export const bearerSecurity = [{ bearerAuth: [] }];

/**
 * A Bearer route's definition: what every protected route has (the security scheme, the 401 and
 * 503 answers) added to its own, so a new protected route is its schema and its handler.
 */
export function bearerRoute<R extends { responses: Record<number, unknown> }>(route: R) {
  return { ...route, security: bearerSecurity, responses: { ...route.responses, ...bearerErrors } };
}

/** The success envelope, its message made from the route's action: "<action> successful". */
export function ok<E extends AppEnv, T, S extends 200 | 201>(c: Context<E>, data: T, status: S) {
  return c.json(successBody(`${c.get("action")} successful`, data), status);
}
