// The MySQL connection: Drizzle over the PlanetScale HTTP driver (PlanetScale in production,
// the local protocol server in development and tests).
import { Client } from "@planetscale/database";
import { drizzle } from "drizzle-orm/planetscale-serverless";
import * as schema from "../db/schema.ts";

export function createDatabase(databaseUrl: string) {
  return drizzle({ client: new Client({ url: databaseUrl }), schema });
}

export type Database = ReturnType<typeof createDatabase>;

/** MySQL's duplicate-key error (ER_DUP_ENTRY) carries the violated index's name. */
export function duplicateKeyName(error: unknown): string | null {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const match = /Duplicate entry .* for key '([^']+)'/.exec(current.message);
    if (match?.[1]) return match[1].split(".").pop() ?? match[1];
  }
  return null;
}
