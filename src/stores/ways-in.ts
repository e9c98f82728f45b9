// The ways an account can sign in (a password, passkeys, linked identities), counted inside a
// transaction that first locks the user's row: two concurrent removals cannot both pass the
// "not the last way in" check.
import { count, eq } from "drizzle-orm";
import { identities, passkeys, users } from "../db/schema.ts";
import type { Database } from "./database.ts";

export type Transaction = Parameters<Parameters<Database["transaction"]>[0]>[0];

export interface WaysIn {
  password: boolean;
  passkeys: number;
  identities: number;
}

/** The user's ways in, with the user row locked until the transaction ends; null when the user is gone. */
export async function lockWaysIn(tx: Transaction, userId: string): Promise<WaysIn | null> {
  const [user] = await tx.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId)).for("update");
  if (!user) return null;
  // One after the other: a transaction is one session, which takes one statement at a time.
  const [keys] = await tx.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId));
  const [linked] = await tx.select({ n: count() }).from(identities).where(eq(identities.userId, userId));
  return { password: user.passwordHash !== null, passkeys: Number(keys?.n ?? 0), identities: Number(linked?.n ?? 0) };
}

/** How many ways in there are in all. */
export const countWaysIn = (ways: WaysIn) => (ways.password ? 1 : 0) + ways.passkeys + ways.identities;

export type Removal = "deleted" | "not-found" | "last-way-in";

/** Removes one of the user's ways in (`owned` says it is theirs), unless it is the last one. */
export function removeUnlessLast(
  db: Database,
  userId: string,
  owned: (tx: Transaction) => Promise<boolean>,
  remove: (tx: Transaction) => Promise<unknown>,
): Promise<Removal> {
  return db.transaction(async (tx) => {
    const ways = await lockWaysIn(tx, userId);
    if (!ways || !(await owned(tx))) return "not-found";
    if (countWaysIn(ways) <= 1) return "last-way-in";
    await remove(tx);
    return "deleted";
  });
}
