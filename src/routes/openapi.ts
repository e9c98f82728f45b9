// GET /openapi.json: generated from the same zod schemas that validate requests; GET /docs: the
// interactive reference (Swagger UI, its assets from the jsDelivr CDN) reading that document.
import { swaggerUI } from "@hono/swagger-ui";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";
import { createRouter } from "./router.ts";

export function openApiRoutes(app: OpenAPIHono<AppEnv>) {
  const router = createRouter();
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  app.openAPIRegistry.registerComponent("securitySchemes", "basicAuth", { type: "http", scheme: "basic" });
  router.get("/openapi.json", (c) => {
    const document = app.getOpenAPI31Document({
      openapi: "3.1.0",
      info: {
        title: "LoginSystem Edge",
        version: "1.0.0",
        description:
          "Authentication and identity API. Every path also answers with a trailing slash. Every response (except this document) is the envelope {success, message, data, error}.",
      },
    });
    return c.json(document);
  });
  router.get("/docs", async (c, next) => {
    // The one page that runs scripts: allow the UI's assets and nothing else.
    c.header("Content-Security-Policy", DOCS_CSP);
    c.header("Cache-Control", "public, max-age=300");
    await next();
  });
  router.get("/docs", swaggerUI({ url: "/openapi.json", title: "LoginSystem Edge API" }));
  return router;
}

const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline' https://cdn.jsdelivr.net",
  "style-src 'unsafe-inline' https://cdn.jsdelivr.net",
  "img-src data: https://cdn.jsdelivr.net",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join("; ");
