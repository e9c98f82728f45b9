// GET /openapi.json: generated from the same zod schemas that validate requests; GET /docs: the
// interactive reference (Swagger UI) reading that document. Swagger UI's files are served by
// Workers static assets from this origin (public/docs-assets/), so the page works offline and
// runs no third-party script.
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
  router.get("/docs", (c) => {
    // The one page that runs scripts: this origin's files and nothing else.
    c.header("Content-Security-Policy", DOCS_CSP);
    c.header("Cache-Control", "public, max-age=300");
    return c.html(DOCS_PAGE);
  });
  return router;
}

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LoginSystem Edge API</title>
<link rel="stylesheet" href="/docs-assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/docs-assets/init.js"></script>
</body>
</html>
`;

const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join("; ");
