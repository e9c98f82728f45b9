// GET /openapi.json: generated from the same zod schemas that validate requests; GET /docs: the
// interactive reference (Swagger UI) reading that document. Swagger UI's files are served by
// Workers static assets from this origin (public/docs-assets/), so the page works offline and
// runs no third-party script. The document covers the routers built on first use too: asking for
// it builds them all (once per isolate, like the document).
import { OpenAPIRegistry, OpenApiGeneratorV31 } from "@asteasolutions/zod-to-openapi";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env.ts";
import { keptOnSuccess } from "../lib/kept-on-success.ts";
import { createRouter } from "./router.ts";

type Router = OpenAPIHono<AppEnv>;

export function openApiRoutes(app: Router, lazyGroups: { load: () => Promise<Router> }[]) {
  const router = createRouter();
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  app.openAPIRegistry.registerComponent("securitySchemes", "basicAuth", { type: "http", scheme: "basic" });
  const document = keptOnSuccess(async () => {
    const groups = await Promise.all(lazyGroups.map((group) => group.load()));
    const registry = new OpenAPIRegistry([app.openAPIRegistry, ...groups.map((group) => group.openAPIRegistry)]);
    return new OpenApiGeneratorV31(registry.definitions).generateDocument({
      openapi: "3.1.0",
      info: {
        title: "LoginSystem Edge",
        version: "1.0.0",
        description:
          "Authentication and identity API. Every path also answers with a trailing slash. Every response (except this document) is the envelope {success, message, data, error}.",
      },
    });
  });
  router.get("/openapi.json", async (c) => c.json(await document()));
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
