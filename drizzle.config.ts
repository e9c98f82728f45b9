import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes SQL migrations from src/db/schema.ts into migrations/ (no database
// needed); `npm run db:migrate` applies them (see local/migrate-cli.ts).
export default defineConfig({
  dialect: "mysql",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
