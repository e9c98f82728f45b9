// Users in MySQL. The only code that reads or writes the users table.
import { eq, or } from "drizzle-orm";
import { type NewUserRow, users } from "../db/schema.ts";
import { type Database, duplicateKeyName } from "./database.ts";

export type InsertResult = { inserted: true } | { inserted: false; duplicateKey: string };

/** One INSERT; a duplicate on a unique index is reported, not thrown (it is the race guard). */
export async function insertUser(db: Database, row: NewUserRow): Promise<InsertResult> {
  try {
    await db.insert(users).values(row);
    return { inserted: true };
  } catch (error) {
    const key = duplicateKeyName(error);
    if (key) return { inserted: false, duplicateKey: key };
    throw error;
  }
}

/** Which of the canonical username/email are already taken (read only after a failed insert). */
export async function findTakenIdentifiers(db: Database, usernameCanonical: string, emailCanonical: string) {
  const rows = await db
    .select({ usernameCanonical: users.usernameCanonical, emailCanonical: users.emailCanonical })
    .from(users)
    .where(or(eq(users.usernameCanonical, usernameCanonical), eq(users.emailCanonical, emailCanonical)));
  return {
    username: rows.some((row) => row.usernameCanonical === usernameCanonical),
    email: rows.some((row) => row.emailCanonical === emailCanonical),
  };
}

export async function findUserById(db: Database, id: string) {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}
