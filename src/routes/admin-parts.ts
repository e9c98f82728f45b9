// What every admin route shares: its middleware (the per-IP limit, the caller as an admin or an
// API key with the route's scope, the per-caller limit), its tag and answers, and the opaque
// page cursors of its listings.
import { z } from "@hono/zod-openapi";
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

/** Page cursors are opaque to clients: a base64url-encoded position they hand back unchanged. */
export const encodeCursor = (position: string): string =>
  btoa(position).replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");

/** The position in a cursor, or null when it is not one this API handed out. */
export function decodeCursor(cursor: string, shape: RegExp): string | null {
  try {
    const position = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    return shape.test(position) ? position : null;
  } catch {
    return null;
  }
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
