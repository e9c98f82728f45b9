// GET /health
import { createRoute, z } from "@hono/zod-openapi";
import { successBody } from "../lib/envelope.ts";
import { checkHealth } from "../services/health-service.ts";
import { errorResponse, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { action, createRouter } from "./router.ts";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["operations"],
  summary: "One round trip to MySQL and one to Redis",
  middleware: [action("health")] as const,
  responses: {
    200: jsonContent(successEnvelope(z.object({ db: z.literal("ok"), redis: z.literal("ok") })), "Both reachable"),
    503: errorResponse("SERVICE_UNAVAILABLE; error.details names the failed dependency (db, redis)"),
  },
});

export const healthRoutes = createRouter().openapi(healthRoute, async (c) => {
  const status = await checkHealth(c.var.deps);
  return c.json(successBody("health ok", status), 200);
});
