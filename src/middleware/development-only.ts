// Routes for development and tests only (the dev outbox): a plain 404 in preview and production,
// and also for any request not addressed to this machine (a development setting deployed by
// mistake must still not serve codes to the internet).
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../lib/errors.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export const developmentOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const environment = c.var.config.ENVIRONMENT;
  if (environment !== "development" && environment !== "test") throw new AppError("NOT_FOUND");
  if (!LOOPBACK.has(new URL(c.req.url).hostname)) throw new AppError("NOT_FOUND");
  await next();
};
