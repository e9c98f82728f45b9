// Request bodies: size limit before anything reads them (413) and JSON only (415), except the
// multipart upload routes, which have their own limit and media type. Malformed JSON
// is found by the route's validator (Hono's HTTPException 400 -> INVALID_JSON in onError), after
// the route has named its action, so the message reads "<action> failed".
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { AppError } from "../lib/errors.ts";

export const MAX_BODY_BYTES = 64 * 1024;

/** A route that takes a multipart upload instead of JSON, with its own request size limit. */
export interface UploadRoute {
  path: string;
  maxBytes: number;
}

const routePath = (path: string) => path.replace(/\/$/, "");

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

// An over-limit body up to this size is read and dropped before the 413, so the client's
// connection stays usable (workerd resets one whose request body was left unread); anything larger
// is refused at once, unread: reading it would only help whoever sent it.
const DRAIN_LIMIT_BYTES = 1024 * 1024;

const tooLarge = async (c: Context<AppEnv>) => {
  const length = Number(c.req.header("content-length") ?? Number.NaN);
  if (length <= DRAIN_LIMIT_BYTES && !c.req.raw.bodyUsed) await c.req.raw.arrayBuffer().catch(() => undefined);
  throw new AppError("PAYLOAD_TOO_LARGE");
};
const jsonLimit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge });

/** Over HTTP a body always announces itself; a Request made in-process (tests) may only carry one. */
function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  if (length !== null) return length !== "0";
  return request.headers.has("transfer-encoding") || request.body !== null;
}

/**
 * The body guard decides what the body is, and the routes see a canonical Content-Type: none when
 * there is no body (curl -d '' sends a form type with nothing in it, which a Basic login must
 * survive), exactly "application/json" for a JSON body whatever parameters came with it
 * ("application/json;", "charset=utf-8"), and 415 for anything else.
 */
const requireJsonBody =
  (uploads: Map<string, unknown>): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const headers = c.req.raw.headers;
    const multipart = uploads.has(routePath(c.req.path));
    const mediaType = (headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!hasBody(c.req.raw)) {
      if (headers.has("content-type") && !multipart) replaceHeaders(c, (copy) => copy.delete("content-type"));
      return next();
    }
    if (multipart) {
      if (!/^multipart\/form-data$/i.test(mediaType)) throw new AppError("UNSUPPORTED_MEDIA_TYPE");
      return next();
    }
    if (!JSON_MEDIA_TYPE.test(mediaType)) throw new AppError("UNSUPPORTED_MEDIA_TYPE");
    if (headers.get("content-type") !== "application/json")
      replaceHeaders(c, (copy) => copy.set("content-type", "application/json"));
    return next();
  };

/**
 * The body guard for the routes the app mounts: the size limit (the upload routes' own, or 64 KiB)
 * and the media type, before anything reads the body. The app passes the upload routes in, so
 * this middleware knows no route of its own.
 */
export function bodyGuard(uploadRoutes: UploadRoute[]): MiddlewareHandler<AppEnv>[] {
  const uploads = new Map(
    uploadRoutes.map((route) => [routePath(route.path), bodyLimit({ maxSize: route.maxBytes, onError: tooLarge })]),
  );
  const limitBody: MiddlewareHandler<AppEnv> = (c, next) => (uploads.get(routePath(c.req.path)) ?? jsonLimit)(c, next);
  return [limitBody, requireJsonBody(uploads)];
}

/** Incoming headers are immutable: the request is re-made with changed ones (body, cf and all). */
function replaceHeaders(c: Context<AppEnv>, change: (headers: Headers) => void): void {
  const raw = c.req.raw as Request & { cf?: IncomingRequestCfProperties };
  const headers = new Headers(raw.headers);
  change(headers);
  c.req.raw = new Request(raw, { headers, cf: raw.cf });
}
