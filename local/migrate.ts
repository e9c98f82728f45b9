// Applies the committed drizzle-kit migrations to a database: a mysql:// URL through mysql2, or an
// http(s):// PlanetScale URL through the same HTTP driver the worker uses.
import { fileURLToPath } from "node:url";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../migrations", import.meta.url));

export async function applyMigrations(databaseUrl: string): Promise<void> {
  if (/^https?:\/\//.test(databaseUrl)) {
    const { Client } = await import("@planetscale/database");
    const { drizzle } = await import("drizzle-orm/planetscale-serverless");
    const { migrate } = await import("drizzle-orm/planetscale-serverless/migrator");
    await migrate(drizzle({ client: new Client({ url: databaseUrl }) }), { migrationsFolder: MIGRATIONS_FOLDER });
    return;
  }
  const { default: mysql } = await import("mysql2/promise");
  const { drizzle } = await import("drizzle-orm/mysql2");
  const { migrate } = await import("drizzle-orm/mysql2/migrator");
  const connection = await mysql.createConnection({ uri: databaseUrl, timezone: "Z" });
  try {
    await migrate(drizzle({ client: connection }), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await connection.end();
  }
}
