// GET /openapi.json: generated from the same zod schemas that validate requests.
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
  return router;
}
