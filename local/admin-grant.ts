// npm run admin:grant -- --email ADDRESS [--revoke] [--to DATABASE_URL]
// Makes an existing user an admin (or, with --revoke, a user again) and prints what it did. The
// role is written to MySQL, mirrored in Redis, and every session of the user ends (no token keeps
// the old role). Default: the running `npm run dev` stack (its .local/dev.vars). For production:
// --to the PlanetScale URL (https://user:password@host) with UPSTASH_REDIS_REST_URL and
// UPSTASH_REDIS_REST_TOKEN in the environment.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Redis } from "@upstash/redis/cloudflare";
import { systemClock } from "../src/lib/clock.ts";
import { canonicalEmail } from "../src/lib/identifiers.ts";
import { changeRole } from "../src/services/role-service.ts";
import { createDatabase } from "../src/stores/database.ts";
import { sessionStore } from "../src/stores/session-store.ts";
import { userStore } from "../src/stores/user-store.ts";
import { readDevVars } from "./dev-vars.ts";

const { values } = parseArgs({
  options: { email: { type: "string" }, revoke: { type: "boolean", default: false }, to: { type: "string" } },
});
const fail = (message: string): never => {
  console.error(message);
  process.exit(2);
};
if (!values.email) fail("Usage: npm run admin:grant -- --email ADDRESS [--revoke] [--to DATABASE_URL]");

const devVars = readDevVars(fileURLToPath(new URL("../.local/dev.vars", import.meta.url)));
const databaseUrl = values.to ?? process.env.DATABASE_URL ?? devVars.DATABASE_URL;
const redisUrl = process.env.UPSTASH_REDIS_REST_URL ?? (values.to ? undefined : devVars.UPSTASH_REDIS_REST_URL);
const redisToken = process.env.UPSTASH_REDIS_REST_TOKEN ?? (values.to ? undefined : devVars.UPSTASH_REDIS_REST_TOKEN);
if (!databaseUrl) fail("No database: start `npm run dev`, or pass --to with the PlanetScale URL.");
if (!redisUrl || !redisToken) fail("No Redis: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (the sessions must end).");

const users = userStore(createDatabase(String(databaseUrl)));
const sessions = sessionStore(new Redis({ url: String(redisUrl), token: String(redisToken), automaticDeserialization: false }));
const user = await users.findForLogin({ email: canonicalEmail(String(values.email)) });
if (!user) fail(`No user has the address ${values.email} (at ${new URL(String(databaseUrl)).host}).`);
const found = user as NonNullable<typeof user>;
const role = values.revoke ? "user" : "admin";
// Run whole even when the row already has the role: a run that failed after the MySQL write (the
// Redis mirror or the sessions not reached) is finished by running it again.
const already = found.role === role;
// The longest a refresh token can live (90 days): the revocation marker must outlive any of them.
const config = { REFRESH_TOKEN_TTL_SECONDS: 90 * 86_400 };
await changeRole({ clock: systemClock, config, sessions, users }, found.id, role);
console.log(
  `${found.username} (${found.id}, ${found.email}) is ${already ? "still" : "now"} ${role === "admin" ? "an admin" : "a user"} ` +
    `at ${new URL(String(databaseUrl)).host}; every session of theirs ended: they sign in again.`,
);
