// onError and notFound: every failure leaves as the JSON envelope. Unknown errors are logged with
// the request id and answered with a generic 500; nothing internal is echoed.
import type { Context, ErrorHandler, Hono, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env.ts";
import { errorBody } from "../lib/envelope.ts";
import { AppError, appErrorIn, ROUTE_INDEPENDENT_MESSAGES } from "../lib/errors.ts";
import { createLogger } from "../lib/log.ts";

function respond(c: Context<AppEnv>, error: AppError): Response {
  const action = c.get("action");
  const message = ROUTE_INDEPENDENT_MESSAGES[error.code] ?? (action ? `${action} failed` : "request failed");
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
  return c.json(errorBody(message, error.code, error.details), error.status);
}

function fromHttpException(error: HTTPException): AppError {
  // Hono's own middleware (and zod-openapi's media-type gate) speak HTTPException; translate
  // the statuses they use.
  if (error.status === 413) return new AppError("PAYLOAD_TOO_LARGE");
  if (error.status === 415) return new AppError("UNSUPPORTED_MEDIA_TYPE");
  if (error.status === 400) return new AppError("INVALID_JSON");
  if (error.status === 401) return new AppError("NOT_AUTHENTICATED");
  if (error.status === 404) return new AppError("NOT_FOUND");
  return new AppError("INTERNAL_ERROR");
}

/** The request's logger, also when the failure came before the dependencies were built. */
const requestLog = (c: Context<AppEnv>) => c.var.deps?.log ?? createLogger({ request_id: c.get("requestId") });

export const onError: ErrorHandler<AppEnv> = (error, c) => {
  const known = appErrorIn(error);
  if (known) {
    // Logged once, with the request id; the cause (a network error) redacted.
    if (known.status >= 500) requestLog(c).error("request_failed", { code: known.code, error: known.cause });
    return respond(c, known);
  }
  if (error instanceof HTTPException) return respond(c, fromHttpException(error));
  requestLog(c).error("unhandled_error", { error });
  return respond(c, new AppError("INTERNAL_ERROR"));
};

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^$()|[\]\\*]/g, "\\$&");
}

/** 404 for unknown paths; 405 with Allow for a known path asked with another method. */
export function notFound(app: Hono<AppEnv>): NotFoundHandler<AppEnv> {
  let patterns: { method: string; pattern: RegExp }[] | undefined;
  return (c) => {
    patterns ??= app.routes
      .filter((route) => route.method !== "ALL")
      .map((route) => ({
        method: route.method,
        pattern: new RegExp(`^${escapeRegExp(route.path.replace(/\/$/, "")).replace(/:[^/]+/g, "[^/]+")}/?$`),
      }));
    const allowed = [...new Set(patterns.filter((route) => route.pattern.test(c.req.path)).map((route) => route.method))];
    if (allowed.length === 0) return respond(c, new AppError("NOT_FOUND"));
    if (allowed.includes("GET")) allowed.push("HEAD");
    return respond(c, new AppError("METHOD_NOT_ALLOWED", { headers: { Allow: allowed.join(", ") } }));
  };
}
