// Every router is an OpenAPIHono: the zod schemas that validate a request also document it, and
// every validation failure becomes the same VALIDATION_ERROR envelope with field-level details.
import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import type { CheckedAccess } from "../lib/access.ts";
import { addFieldError, type FieldErrors, validationError } from "../lib/errors.ts";
import type { SignedIn } from "../services/reauthentication.ts";

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

/** The caller of a protected route (its checked access token): user and session, for per-session limits. */
export function signedIn(auth: CheckedAccess): SignedIn {
  return { userId: auth.sub, sessionId: auth.sid };
}
