// What every admin route shares: its middleware (the per-IP limit, the caller as an admin or an
// API key with the route's scope, the per-caller limit), its tag and answers, and the opaque
// page cursors of its listings.
import { z } from "@hono/zod-openapi";
import { validationError } from "../lib/errors.ts";
import { requireAdmin } from "../middleware/auth.ts";
import { limitPerAdminActor, limitPerIp } from "../middleware/rate-limit.ts";
import type { AdminScope } from "../services/api-key-service.ts";
import { bearerRoute, errorResponse } from "./openapi-parts.ts";
import { action } from "./router.ts";

export const idParam = z.object({ id: z.string().min(1).max(64) });

/**
 * An admin route's definition: tagged `admin`, its scope in the description (an admin's token has
 * every scope; `admin-token` routes take no API key), and the answers every admin route can give.
 */
export function adminRoute<
  const R extends { method: "get" | "post" | "patch" | "delete"; responses: Record<number, unknown>; summary: string },
>(label: string, scope: AdminScope | "admin-token", route: R) {
  const needs = scope === "admin-token" ? "an admin's access token (API keys are refused)" : `scope \`${scope}\``;
  return bearerRoute({
    ...route,
    tags: ["admin"],
    description: `Needs ${needs}.`,
    middleware: [action(label), limitPerIp("admin"), requireAdmin(scope), limitPerAdminActor()] as [
      ReturnType<typeof action>,
      ReturnType<typeof limitPerIp>,
      ReturnType<typeof requireAdmin>,
      ReturnType<typeof limitPerAdminActor>,
    ],
    responses: {
      ...route.responses,
      403: errorResponse("FORBIDDEN: not an admin's token, or an API key without the scope"),
      429: errorResponse("RATE_LIMITED: too many admin requests from this address or caller"),
    },
  });
}

/**
 * One listing's page cursors, opaque to clients: a base64url-encoded "<kind>:<position>" they hand
 * back unchanged. The kind keeps one listing's cursor out of another; `shape` is a position's form.
 */
export function pageCursor(kind: string, shape: RegExp) {
  return {
    /** The position a client's cursor names (undefined without one); 400 for one this listing did not hand out. */
    read(cursor: string | undefined): string | undefined {
      if (cursor === undefined) return undefined;
      let decoded = "";
      try {
        decoded = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
      } catch {
        // Not base64: refused below.
      }
      const position = decoded.startsWith(`${kind}:`) ? decoded.slice(kind.length + 1) : "";
      if (!shape.test(position)) throw validationError({ cursor: ["Use the `next` value of the previous page."] });
      return position;
    },
    /** The cursor of the position to continue after, or null on the last page. */
    write(position: string | number | undefined): string | null {
      if (position === undefined) return null;
      return btoa(`${kind}:${position}`).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
    },
  };
}

export const cursorQuery = z
  .string()
  .max(200)
  .optional()
  .openapi({ description: "The previous page's `next`: continue after it" });

export const limitQuery = z.coerce
  .number()
  .int()
  .min(1)
  .max(100)
  .default(50)
  .openapi({ description: "Per page (1-100, default 50)" });
