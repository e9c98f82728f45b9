// Request bodies: size limit before anything reads them (413), JSON only (415), parseable (400).
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { AppError } from "../lib/errors.ts";

export const MAX_BODY_BYTES = 64 * 1024;

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

export const limitBody: MiddlewareHandler<AppEnv> = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new AppError("PAYLOAD_TOO_LARGE");
  },
});

function hasBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return headers.has("transfer-encoding") || (length !== null && length !== "0");
}

export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!hasBody(c.req.raw.headers)) return next();
  const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
  if (!JSON_MEDIA_TYPE.test(mediaType)) throw new AppError("UNSUPPORTED_MEDIA_TYPE");
  try {
    // Parsed once here; Hono caches it, so the route's validator reads the same value.
    await c.req.json();
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError("INVALID_JSON");
  }
  return next();
};
