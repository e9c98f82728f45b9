// npm run db:migrate -- applies migrations/ to DATABASE_URL (PlanetScale https://user:pass@host)
// or MYSQL_URL (mysql://user:pass@host:port/db).
import { applyMigrations } from "./migrate.ts";

const url = process.argv[2] ?? process.env.DATABASE_URL ?? process.env.MYSQL_URL;
if (!url) {
  console.error(
    "Set DATABASE_URL (https://user:password@host for PlanetScale) or MYSQL_URL (mysql://...), or pass the URL as an argument.",
  );
  process.exit(2);
}
try {
  await applyMigrations(url);
  console.log(`migrations applied to ${new URL(url).host}`);
} catch (error) {
  console.error("migration failed:", error instanceof Error ? error.message : error);
  process.exit(1);
}
