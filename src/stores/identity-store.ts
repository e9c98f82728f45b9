// Linked identities (accounts at other providers) in MySQL. The only code that reads or writes
// the identities table.
import { and, asc, eq } from "drizzle-orm";
import { type IdentityRow, identities } from "../db/schema.ts";
import { bindTo } from "./bind.ts";
import type { Database } from "./database.ts";
import { type Removal, removeUnlessLast } from "./ways-in.ts";

/** The user's linked identities, oldest first. */
export async function listIdentities(db: Database, userId: string): Promise<IdentityRow[]> {
  return db.select().from(identities).where(eq(identities.userId, userId)).orderBy(asc(identities.createdAt), asc(identities.id));
}

/** Unlinks one of the user's identities, unless it is their last way to sign in (see ways-in.ts). */
export function unlinkIdentity(db: Database, userId: string, id: string): Promise<Removal> {
  const mine = and(eq(identities.id, id), eq(identities.userId, userId));
  return removeUnlessLast(
    db,
    userId,
    async (tx) => (await tx.select({ id: identities.id }).from(identities).where(mine)).length === 1,
    (tx) => tx.delete(identities).where(mine),
  );
}

export async function deleteIdentitiesOf(tx: Pick<Database, "delete">, userId: string): Promise<void> {
  await tx.delete(identities).where(eq(identities.userId, userId));
}

/** The identities table, bound to this request's database connection. */
export const identityStore = (db: Database) => bindTo(db, { list: listIdentities, unlink: unlinkIdentity });
export type IdentityStore = ReturnType<typeof identityStore>;
