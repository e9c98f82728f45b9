// Passkeys in MySQL. The only code that reads or writes the passkeys table.
import { and, asc, eq, sql } from "drizzle-orm";
import { type PasskeyRow, passkeys, users } from "../db/schema.ts";
import { bindTo } from "./bind.ts";
import { type Database, duplicateKeyName } from "./database.ts";
import { type Removal, removeUnlessLast } from "./ways-in.ts";

export type NewPasskey = Omit<PasskeyRow, "lastUsedAt">;

/**
 * One INSERT ... SELECT that writes only while the user exists (a registration racing the
 * account's deletion leaves nothing behind). False when the credential is registered already.
 */
export async function insertPasskey(db: Database, row: NewPasskey): Promise<"added" | "duplicate" | "no-user"> {
  try {
    const result = await db.insert(passkeys).select(
      db
        .select({
          id: sql`${row.id}`.as("id"),
          userId: users.id,
          credentialId: sql`${row.credentialId}`.as("credential_id"),
          credentialDigest: sql`${row.credentialDigest}`.as("credential_digest"),
          publicKey: sql`${row.publicKey}`.as("public_key"),
          signCount: sql`${row.signCount}`.as("sign_count"),
          transports: sql`${row.transports}`.as("transports"),
          deviceType: sql`${row.deviceType}`.as("device_type"),
          backedUp: sql`${row.backedUp}`.as("backed_up"),
          aaguid: sql`${row.aaguid}`.as("aaguid"),
          name: sql`${row.name}`.as("name"),
          createdAt: sql`${row.createdAt}`.as("created_at"),
          lastUsedAt: sql`NULL`.as("last_used_at"),
        })
        .from(users)
        .where(eq(users.id, row.userId)),
    );
    return result.rowsAffected === 1 ? "added" : "no-user";
  } catch (error) {
    if (duplicateKeyName(error)) return "duplicate";
    throw error;
  }
}

/** The user's passkeys, oldest first. */
export async function listPasskeys(db: Database, userId: string): Promise<PasskeyRow[]> {
  return db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt), asc(passkeys.id));
}

/** A passkey by its credential id's digest, with what a sign-in needs of its user: one read. */
export async function findPasskeyForLogin(db: Database, credentialDigest: string) {
  const [row] = await db
    .select({
      passkey: passkeys,
      user: {
        id: users.id,
        username: users.username,
        email: users.email,
        tokensValidAfter: users.tokensValidAfter,
        twoFactorMethods: users.twoFactorMethods,
        role: users.role,
        disabledAt: users.disabledAt,
        disabledUntil: users.disabledUntil,
      },
    })
    .from(passkeys)
    .innerJoin(users, eq(users.id, passkeys.userId))
    .where(eq(passkeys.credentialDigest, credentialDigest))
    .limit(1);
  return row ?? null;
}

export async function renamePasskey(db: Database, userId: string, id: string, name: string): Promise<number> {
  const result = await db
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)));
  return result.rowsAffected;
}

/**
 * Deletes one of the user's passkeys, unless it is their last way to sign in (no password, no
 * other passkey, no linked identity; counted under the user row's lock, see ways-in.ts).
 */
export function deletePasskey(db: Database, userId: string, id: string): Promise<Removal> {
  const mine = and(eq(passkeys.id, id), eq(passkeys.userId, userId));
  return removeUnlessLast(
    db,
    userId,
    async (tx) => (await tx.select({ id: passkeys.id }).from(passkeys).where(mine)).length === 1,
    (tx) => tx.delete(passkeys).where(mine),
  );
}

/** Records a sign-in: when, and the new count, only ever forward (a slower concurrent sign-in never moves it back). */
export async function recordPasskeyUse(db: Database, id: string, signCount: number, at: Date): Promise<void> {
  await db
    .update(passkeys)
    .set({ lastUsedAt: at, signCount: sql`GREATEST(${passkeys.signCount}, ${signCount})` })
    .where(eq(passkeys.id, id));
}

export async function deletePasskeysOf(tx: Pick<Database, "delete">, userId: string): Promise<void> {
  await tx.delete(passkeys).where(eq(passkeys.userId, userId));
}

/** The passkeys table, bound to this request's database connection. */
export const passkeyStore = (db: Database) =>
  bindTo(db, {
    insert: insertPasskey,
    list: listPasskeys,
    findForLogin: findPasskeyForLogin,
    rename: renamePasskey,
    delete: deletePasskey,
    recordUse: recordPasskeyUse,
  });
export type PasskeyStore = ReturnType<typeof passkeyStore>;
