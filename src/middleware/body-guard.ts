// Request bodies: size limit before anything reads them (413) and JSON only (415), except the
// multipart upload routes, which have their own limit and media type. Malformed JSON
// is found by the route's validator (Hono's HTTPException 400 -> INVALID_JSON in onError), after
// the route has named its action, so the message reads "<action> failed".
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { AppError } from "../lib/errors.ts";
import { PROFILE_IMAGE_MAX_BYTES } from "../lib/image-type.ts";

export const MAX_BODY_BYTES = 64 * 1024;

/** Routes that take a multipart upload instead of JSON, with their own request size limit. */
const MULTIPART_ROUTES = new Map([["/profile/upload_profile_image", PROFILE_IMAGE_MAX_BYTES + 64 * 1024]]);
const routePath = (path: string) => path.replace(/\/$/, "");

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

const tooLarge = () => {
  throw new AppError("PAYLOAD_TOO_LARGE");
};
const jsonLimit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });
const uploadLimits = new Map([...MULTIPART_ROUTES].map(([path, maxSize]) => [path, bodyLimit({ maxSize, onError: tooLarge })]));

export const limitBody: MiddlewareHandler<AppEnv> = (c, next) => (uploadLimits.get(routePath(c.req.path)) ?? jsonLimit)(c, next);

function hasBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return headers.has("transfer-encoding") || (length !== null && length !== "0");
}

export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!hasBody(c.req.raw.headers)) return next();
  const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
  const expected = MULTIPART_ROUTES.has(routePath(c.req.path)) ? /^multipart\/form-data$/i : JSON_MEDIA_TYPE;
  if (!expected.test(mediaType)) throw new AppError("UNSUPPORTED_MEDIA_TYPE");
  return next();
};
