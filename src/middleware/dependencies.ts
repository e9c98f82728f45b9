// Builds the per-request dependencies once and publishes them on c.var.
import type { MiddlewareHandler } from "hono";
import type { AppEnv, Config } from "../env.ts";
import { loadConfig } from "../env.ts";
import type { Clock, Ids } from "../lib/clock.ts";
import { createDatabase } from "../stores/database.ts";
import { createRedis } from "../stores/redis.ts";

export interface DependencyOverrides {
  clock: Clock;
  ids: Ids;
}

export const config: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("config", loadConfig(c.env));
  await next();
};

export function dependencies(base: DependencyOverrides): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const settings: Config = c.var.config;
    c.set("deps", {
      config: settings,
      db: createDatabase(settings.DATABASE_URL),
      redis: createRedis(settings.UPSTASH_REDIS_REST_URL, settings.UPSTASH_REDIS_REST_TOKEN),
      clock: base.clock,
      ids: base.ids,
    });
    await next();
  };
}
