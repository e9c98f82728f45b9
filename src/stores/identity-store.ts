// Linked identities (accounts at other providers) in MySQL. The only code that reads or writes
// the identities table.
import { and, asc, eq, isNotNull, or } from "drizzle-orm";
import { type IdentityRow, identities, type NewUserRow, type UserRow, users } from "../db/schema.ts";
import { bindTo } from "./bind.ts";
import { type Database, duplicateKeyName } from "./database.ts";
import { userWithPasskeyFlag } from "./user-columns.ts";
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

export type NewIdentityRow = typeof identities.$inferInsert;
type SignInCandidate = UserRow & { hasPasskey: boolean };

/**
 * Who a provider's identity signs in as, in one read: the user it is linked to, and an account
 * holding its address. Both are compared exactly here: the subject column is binary, and the
 * address's collation would also match accented spellings (such a near match is reported as the
 * holder all the same: an address that close to an account's is not given a new account).
 */
export async function findSignInCandidates(db: Database, provider: string, subject: string, emailCanonical: string | null) {
  const linked = and(eq(identities.userId, users.id), eq(identities.provider, provider), eq(identities.subject, subject));
  const rows = await db
    .select({ user: userWithPasskeyFlag, identityId: identities.id, identitySubject: identities.subject })
    .from(users)
    .leftJoin(identities, linked)
    .where(
      emailCanonical === null ? isNotNull(identities.id) : or(isNotNull(identities.id), eq(users.emailCanonical, emailCanonical)),
    )
    .limit(2);
  const linkedRow = rows.find((row) => row.identityId !== null && row.identitySubject === subject);
  const holder = rows.find((row) => row !== linkedRow && emailCanonical !== null);
  return {
    linked: linkedRow ? { user: linkedRow.user as SignInCandidate, identityId: linkedRow.identityId as string } : null,
    byEmail: (holder?.user ?? null) as SignInCandidate | null,
  };
}

export type CreateResult = { created: true } | { created: false; duplicateKey: string };

/** A new account and its first identity, together or not at all. */
export async function createUserWithIdentity(db: Database, user: NewUserRow, identity: NewIdentityRow): Promise<CreateResult> {
  try {
    await db.transaction(async (tx) => {
      await tx.insert(users).values(user);
      await tx.insert(identities).values(identity);
    });
    return { created: true };
  } catch (error) {
    const key = duplicateKeyName(error);
    if (key) return { created: false, duplicateKey: key };
    throw error;
  }
}

/** Links an identity; 'taken' when that provider subject is linked already (to anyone). */
export async function linkIdentity(db: Database, identity: NewIdentityRow): Promise<"linked" | "taken"> {
  try {
    await db.insert(identities).values(identity);
    return "linked";
  } catch (error) {
    if (duplicateKeyName(error)) return "taken";
    throw error;
  }
}

/** Who a provider subject is linked to, if anyone. */
export async function findIdentityOwner(db: Database, provider: string, subject: string): Promise<string | null> {
  const [row] = await db
    .select({ userId: identities.userId })
    .from(identities)
    .where(and(eq(identities.provider, provider), eq(identities.subject, subject)))
    .limit(1);
  return row?.userId ?? null;
}

/**
 * After a password reset (the mailbox proven): the identities whose provider did not vouch for
 * the address go. One may have been made by someone who used the owner's address at a provider
 * that does not check addresses; the owner links their own again if they want it.
 */
export async function removeUnvouchedIdentities(db: Database, userId: string): Promise<number> {
  const result = await db.delete(identities).where(and(eq(identities.userId, userId), eq(identities.emailVerified, false)));
  return result.rowsAffected;
}

/** After a sign-in: when it was used, and what the provider now says of the address. */
export async function recordIdentityUse(db: Database, id: string, at: Date, email: string | null, emailVerified: boolean) {
  await db.update(identities).set({ lastUsedAt: at, email, emailVerified }).where(eq(identities.id, id));
}

export async function deleteIdentitiesOf(tx: Pick<Database, "delete">, userId: string): Promise<void> {
  await tx.delete(identities).where(eq(identities.userId, userId));
}

/** The identities table, bound to this request's database connection. */
export const identityStore = (db: Database) =>
  bindTo(db, {
    list: listIdentities,
    unlink: unlinkIdentity,
    findSignInCandidates,
    createUserWithIdentity,
    link: linkIdentity,
    findOwner: findIdentityOwner,
    recordUse: recordIdentityUse,
    removeUnvouched: removeUnvouchedIdentities,
  });
export type IdentityStore = ReturnType<typeof identityStore>;
