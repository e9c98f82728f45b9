// The OpenAPI pieces routes are described with: the envelope schemas, request bodies, error
// answers, and what every Bearer route shares. Descriptions only; no request handling here.
import { z } from "@hono/zod-openapi";

const errorSchema = z.object({
  code: z.string().openapi({ example: "VALIDATION_ERROR" }),
  details: z.record(z.string(), z.array(z.string())).optional(),
});

// The envelope's fixed fields, made once: every route's success schema shares them (each zod
// schema made costs an isolate's start-up some CPU, and there is one of these per route).
const successFields = { success: z.literal(true), message: z.string(), error: z.null() };

export function successEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ success: successFields.success, message: successFields.message, data, error: successFields.error });
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

export const bearerSecurity = [{ bearerAuth: [] }];

/**
 * A Bearer route's definition: what every protected route has (the security scheme, the 401 and
 * 503 answers) added to its own, so a new protected route is its schema and its handler.
 */
export function bearerRoute<R extends { responses: Record<number, unknown> }>(route: R) {
  return { ...route, security: bearerSecurity, responses: { ...route.responses, ...bearerErrors } };
}
