// The admin API's user search: a page of users in id order (keyset pagination: a user present
// when a listing starts is on exactly one of its pages, whatever is inserted meanwhile), matched by
// a prefix of the email, username or id, and filtered by status, verification and second factor.
import { and, asc, eq, gt, isNotNull, isNull, like, lte, ne, or, type SQL } from "drizzle-orm";
import { users } from "../db/schema.ts";
import type { Database } from "./database.ts";

export interface UserSearch {
  /** Canonical forms of the query, each matched as a prefix (already lower-cased as the columns are). */
  prefix?: { email: string; username: string; id: string };
  disabled?: boolean;
  emailVerified?: boolean;
  twoFactor?: boolean;
  afterId?: string;
  limit: number;
  now: Date;
}

/** LIKE's own wildcards in a prefix match themselves. */
const startsWith = (text: string) => `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export async function searchUsers(db: Database, search: UserSearch) {
  const conditions: (SQL | undefined)[] = [];
  if (search.prefix) {
    conditions.push(
      or(
        like(users.emailCanonical, startsWith(search.prefix.email)),
        like(users.usernameCanonical, startsWith(search.prefix.username)),
        like(users.id, startsWith(search.prefix.id)),
      ),
    );
  }
  // Disabled: disabled_at set and no end, or an end still ahead (as lib/account-status.ts decides).
  const disabledNow = and(isNotNull(users.disabledAt), or(isNull(users.disabledUntil), gt(users.disabledUntil, search.now)));
  if (search.disabled === true) conditions.push(disabledNow);
  if (search.disabled === false) conditions.push(or(isNull(users.disabledAt), lte(users.disabledUntil, search.now)));
  if (search.emailVerified !== undefined) conditions.push(eq(users.isEmailVerified, search.emailVerified));
  if (search.twoFactor === true) conditions.push(ne(users.twoFactorMethods, ""));
  if (search.twoFactor === false) conditions.push(eq(users.twoFactorMethods, ""));
  if (search.afterId !== undefined) conditions.push(gt(users.id, search.afterId));
  return db
    .select()
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.id))
    .limit(search.limit);
}
