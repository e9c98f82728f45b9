// Request bodies: size limit before anything reads them (413) and JSON only (415), except the
// multipart upload routes, which have their own limit and media type. Malformed JSON
// is found by the route's validator (Hono's HTTPException 400 -> INVALID_JSON in onError), after
// the route has named its action, so the message reads "<action> failed".
//
// No answer leaves a request body unread. workerd ties an incoming body to its connection: an
// answer sent while the body is still on the wire resets the keep-alive connection (plain workerd,
// bodies beyond its socket buffer), and under `wrangler dev` a Request re-made around an unread
// body (`new Request(request, { headers })`) takes the dev server down with it. Many answers
// come before any route reads the body (401 for a bad token, 404, 405, 415, 429, a CORS preflight),
// so `settleRequestBody`, the app's first middleware, reads what is left after every answer, and
// the guard never wraps a body it has not read.
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env.ts";
import { AppError } from "../lib/errors.ts";

export const MAX_BODY_BYTES = 64 * 1024;

/** A route that takes another body than JSON (an upload, a form), with its own media type and size limit. */
export interface UploadRoute {
  path: string;
  maxBytes: number;
  mediaType: RegExp;
}

const routePath = (path: string) => path.replace(/\/$/, "");

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Reads and drops what is left of a request body, at most `limit` bytes: the connection stays
 * usable. A larger body is cancelled unread (its connection resets): reading more than any route
 * accepts would only help whoever sent it. Never throws.
 */
async function drainBody(request: Request, limit: number): Promise<void> {
  // hasBody: an empty body announced as such (a POST with no body: a token check) is not read, though
  // workerd still hands over a stream; reading its end cost a token check about 6% of its CPU.
  if (!request.body || request.bodyUsed || !hasBody(request)) return;
  const announced = Number(request.headers.get("content-length") ?? 0);
  try {
    const reader = request.body.getReader();
    if (announced > limit) return void (await reader.cancel());
    for (let read = 0; ; ) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > limit) return void (await reader.cancel());
    }
  } catch {
    // Locked by a reader that gave up (an over-limit chunked body) or a client that went away:
    // nothing more can be read from it.
  }
}

/**
 * The app's first middleware: once the answer is made, whatever is left of the request body (the
 * one received and, if the guard re-made the request, the one the routes saw) is read and dropped.
 */
const settleRequestBody =
  (limit: number): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const received = c.req.raw;
    try {
      await next();
    } finally {
      await drainBody(c.req.raw, limit);
      if (c.req.raw !== received) await drainBody(received, limit);
    }
  };

const tooLarge = () => {
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
  (uploads: Map<string, UploadRoute>): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const headers = c.req.raw.headers;
    const upload = uploads.get(routePath(c.req.path));
    const mediaType = (headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    if (!hasBody(c.req.raw)) {
      if (headers.has("content-type") && !upload) await replaceHeaders(c, (copy) => copy.delete("content-type"));
      return next();
    }
    if (upload) {
      if (!upload.mediaType.test(mediaType)) throw new AppError("UNSUPPORTED_MEDIA_TYPE");
      return next();
    }
    if (!JSON_MEDIA_TYPE.test(mediaType)) throw new AppError("UNSUPPORTED_MEDIA_TYPE");
    if (headers.get("content-type") !== "application/json")
      await replaceHeaders(c, (copy) => copy.set("content-type", "application/json"));
    return next();
  };

/**
 * The body guard for the routes the app mounts: `settle` goes first (it drains whatever the answer
 * left unread, up to the largest body any route accepts), `guard` before the routes (the size
 * limit, the upload routes' own or 64 KiB, and the media type, before anything reads the body).
 * The app passes the upload routes in, so this middleware knows no route of its own.
 */
export function bodyGuard(uploadRoutes: UploadRoute[]): {
  settle: MiddlewareHandler<AppEnv>;
  guard: MiddlewareHandler<AppEnv>[];
} {
  const uploads = new Map(uploadRoutes.map((route) => [routePath(route.path), route]));
  const limits = new Map(
    uploadRoutes.map((route) => [routePath(route.path), bodyLimit({ maxSize: route.maxBytes, onError: tooLarge })]),
  );
  const limitBody: MiddlewareHandler<AppEnv> = (c, next) => (limits.get(routePath(c.req.path)) ?? jsonLimit)(c, next);
  const largest = Math.max(MAX_BODY_BYTES, ...uploadRoutes.map((route) => route.maxBytes));
  return { settle: settleRequestBody(largest), guard: [limitBody, requireJsonBody(uploads)] };
}

/**
 * Incoming headers are immutable: the request is re-made with changed ones. Its body is read first
 * (the size limit has run) and the new request carries the bytes, never a stream wrapped around an
 * unread body.
 */
async function replaceHeaders(c: Context<AppEnv>, change: (headers: Headers) => void): Promise<void> {
  const raw = c.req.raw as Request & { cf?: IncomingRequestCfProperties };
  const headers = new Headers(raw.headers);
  change(headers);
  const body = raw.body ? await raw.arrayBuffer() : null;
  c.req.raw = new Request(raw.url, { method: raw.method, headers, body: body?.byteLength ? body : null, cf: raw.cf });
}
