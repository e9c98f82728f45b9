// Health: one round trip to MySQL and one to Redis, in parallel; 503 names what failed.
import type { Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";

export async function checkHealth(deps: Pick<Deps, "health" | "log">): Promise<{ db: "ok"; redis: "ok" }> {
  const [db, redis] = await Promise.allSettled([deps.health.pingDatabase(), deps.health.pingRedis()]);
  const details: Record<string, string[]> = {};
  if (db.status === "rejected") details.db = ["unreachable"];
  if (redis.status === "rejected") details.redis = ["unreachable"];
  if (Object.keys(details).length > 0) {
    deps.log.error("health_check_failed", { failed: Object.keys(details) });
    throw new AppError("SERVICE_UNAVAILABLE", { details });
  }
  return { db: "ok", redis: "ok" };
}
