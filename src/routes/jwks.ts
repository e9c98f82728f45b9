// GET /.well-known/jwks.json: the public keys that verify our tokens (a bare JWK Set, no envelope).
import { createRoute, z } from "@hono/zod-openapi";
import { jsonContent } from "./openapi-parts.ts";
import { createRouter } from "./router.ts";

const jwksSchema = z
  .object({
    keys: z.array(
      z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() }),
    ),
  })
  .openapi("JWKS");

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["tokens"],
  summary: "Public keys for verifying access tokens (EdDSA, Ed25519)",
  responses: { 200: jsonContent(jwksSchema, "JWK Set") },
});

export const jwksRoutes = createRouter().openapi(jwksRoute, (c) => {
  // Cacheable, but briefly: a newly added verification key must reach verifiers soon.
  c.header("Cache-Control", "public, max-age=300");
  return c.json(c.var.deps.keys.jwks as z.infer<typeof jwksSchema>, 200);
});
