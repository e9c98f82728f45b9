// One cheap round trip to each backing service.

import type { Redis } from "@upstash/redis/cloudflare";
import { sql } from "drizzle-orm";
import type { Database } from "./database.ts";

export async function pingDatabase(db: Database): Promise<void> {
  await db.execute(sql`SELECT 1`);
}

export async function pingRedis(redis: Redis): Promise<void> {
  await redis.ping();
}

/** One ping per backing service. */
export const healthStore = (db: Database, redis: Redis) => ({
  pingDatabase: () => pingDatabase(db),
  pingRedis: () => pingRedis(redis),
});
export type HealthStore = ReturnType<typeof healthStore>;
