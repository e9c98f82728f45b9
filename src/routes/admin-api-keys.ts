// The admin API's keys (/admin/api-keys/*): managed with an admin's access token only (a key
// cannot mint or delete keys). The key itself is in the creation's answer and nowhere else.
import { createRoute, z } from "@hono/zod-openapi";
import { ADMIN_SCOPES, createApiKey, deleteApiKey, listApiKeys } from "../services/api-key-service.ts";
import { adminRoute, idParam } from "./admin-parts.ts";
import { errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { createRouter } from "./router.ts";

const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The key's first characters, to tell keys apart" }),
    scopes: z.array(z.enum(ADMIN_SCOPES)),
    created_by: z.string(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable(),
  })
  .openapi("ApiKey");

const createBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(z.enum(ADMIN_SCOPES)).min(1).max(ADMIN_SCOPES.length),
    expires_in_days: z.number().int().min(1).max(3650).optional().openapi({ description: "Never expires when left out" }),
  })
  .openapi("ApiKeyRequest");

const createKeyRoute = createRoute(
  adminRoute("api key", "admin-token", {
    method: "post",
    path: "/admin/api-keys",
    summary: "Creates an API key for the admin API; the key (lse_...) is in this answer only",
    request: jsonBody(createBody),
    responses: {
      201: jsonContent(successEnvelope(apiKeySchema.extend({ key: z.string() })), "The key, shown once"),
      400: errorResponse("VALIDATION_ERROR: name, scopes or expires_in_days"),
    },
  }),
);

const listKeysRoute = createRoute(
  adminRoute("api keys", "admin-token", {
    method: "get",
    path: "/admin/api-keys",
    summary: "The API keys not deleted (never the key itself)",
    responses: { 200: jsonContent(successEnvelope(z.object({ api_keys: z.array(apiKeySchema) })), "The keys") },
  }),
);

const deleteKeyRoute = createRoute(
  adminRoute("api key deletion", "admin-token", {
    method: "delete",
    path: "/admin/api-keys/{id}",
    summary: "Deletes an API key: refused from the next request on",
    request: { params: idParam },
    responses: {
      200: jsonContent(successEnvelope(z.null()), "Deleted"),
      404: errorResponse("NOT_FOUND: no such key (or deleted already)"),
    },
  }),
);

export const adminApiKeyRoutes = createRouter()
  .openapi(createKeyRoute, async (c) => {
    const body = c.req.valid("json");
    const created = await createApiKey(c.var.deps, c.var.actor, {
      name: body.name,
      scopes: body.scopes,
      expiresInDays: body.expires_in_days,
    });
    return ok(c, created, 201);
  })
  .openapi(listKeysRoute, async (c) => ok(c, { api_keys: await listApiKeys(c.var.deps) }, 200))
  .openapi(deleteKeyRoute, async (c) => {
    await deleteApiKey(c.var.deps, c.var.actor, c.req.valid("param").id);
    return ok(c, null, 200);
  });
