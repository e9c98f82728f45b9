// Routes for development and tests only (the dev outbox): a plain 404 in preview and production.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { AppError } from "../lib/errors.ts";

export const developmentOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const environment = c.var.config.ENVIRONMENT;
  if (environment !== "development" && environment !== "test") throw new AppError("NOT_FOUND");
  await next();
};
