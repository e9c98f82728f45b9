// Users in MySQL. The only code that reads or writes the users table.
import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { type NewUserRow, users } from "../db/schema.ts";
import { bindTo } from "./bind.ts";
import { type Database, duplicateKeyName } from "./database.ts";
import { deleteIdentitiesOf } from "./identity-store.ts";
import { deletePasskeysOf } from "./passkey-store.ts";
import { deleteSecurityEventsOf } from "./security-event-store.ts";
import { userWithPasskeyFlag } from "./user-columns.ts";
import { searchUsers } from "./user-search.ts";

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

/** The accounts holding either canonical name (at most one each: both are unique). */
export async function findUsersByEitherName(db: Database, usernameCanonical: string, emailCanonical: string) {
  return db
    .select()
    .from(users)
    .where(or(eq(users.usernameCanonical, usernameCanonical), eq(users.emailCanonical, emailCanonical)))
    .limit(2);
}

/** A user about to be signed in (by id): with whether they have a passkey, as findUserForLogin. */
export async function findUserToSignIn(db: Database, id: string) {
  const [row] = await db.select(userWithPasskeyFlag).from(users).where(eq(users.id, id)).limit(1);
  return row ?? null;
}

const prepareUserById = (db: Database) =>
  db
    .select()
    .from(users)
    .where(eq(users.id, sql.placeholder("id")))
    .limit(1)
    .prepare();
const userByIdQueries = new WeakMap<Database, ReturnType<typeof prepareUserById>>();

/**
 * Nearly every signed-in request reads its user: the query's SQL is built once per database client
 * (drizzle's query building was the largest part of a profile read's CPU after the HTTP calls).
 */
export async function findUserById(db: Database, id: string) {
  let query = userByIdQueries.get(db);
  if (!query) {
    query = prepareUserById(db);
    userByIdQueries.set(db, query);
  }
  const [row] = await query.execute({ id });
  return row ?? null;
}

/**
 * The account a login names, matched exactly on the canonical form. MySQL's comparison ignores
 * accents (the columns' collation), so its rows are only candidates: a near match ("lóckme" for
 * "lockme") is no match, or every spelling would be a fresh lockout budget for one account.
 * With both names given (HTTP Basic: username or email), `prefer` says which one wins.
 */
export async function findUserForLogin(
  db: Database,
  identifier: { username?: string; email?: string; prefer?: "username" | "email" },
) {
  const conditions = [
    identifier.username === undefined ? undefined : eq(users.usernameCanonical, identifier.username),
    identifier.email === undefined ? undefined : eq(users.emailCanonical, identifier.email),
  ].filter((condition) => condition !== undefined);
  if (conditions.length === 0) return null;
  // Each column has a unique index: at most one candidate per name. Whether the account has a
  // passkey rides along (a second factor it may offer), in the same round trip.
  const rows = await db
    .select(userWithPasskeyFlag)
    .from(users)
    .where(or(...conditions))
    .limit(2);
  const byUsername =
    identifier.username === undefined ? undefined : rows.find((row) => row.usernameCanonical === identifier.username);
  const byEmail = identifier.email === undefined ? undefined : rows.find((row) => row.emailCanonical === identifier.email);
  return (identifier.prefer === "email" ? (byEmail ?? byUsername) : (byUsername ?? byEmail)) ?? null;
}

/** After a successful login: last login time, and a new hash when the old one used other parameters. */
export async function recordLogin(db: Database, id: string, at: Date, newPasswordHash?: string): Promise<void> {
  await db
    .update(users)
    .set(newPasswordHash ? { lastLoginAt: at, passwordHash: newPasswordHash } : { lastLoginAt: at })
    .where(eq(users.id, id));
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC), as DATETIME(3) reads it. */
const datetimeText = (at: Date) => at.toISOString().replace("T", " ").replace("Z", "");

/**
 * tokens_valid_after only ever moves forward: two revocations whose UPDATEs commit out of order
 * (a double-clicked logout-all) must leave the later time, as Redis's mirror does (it keeps the
 * maximum). Otherwise MySQL would fall behind Redis, and every login, which compares the two,
 * would look like one racing a revocation and be refused until the mirror expired.
 */
function forwardOnly(changes: Partial<NewUserRow>) {
  const at = changes.tokensValidAfter;
  if (!at) return changes;
  const text = datetimeText(at);
  return {
    ...changes,
    tokensValidAfter: sql`GREATEST(COALESCE(${users.tokensValidAfter}, CAST(${text} AS DATETIME(3))), CAST(${text} AS DATETIME(3)))`,
  };
}

export async function setTokensValidAfter(db: Database, id: string, at: Date): Promise<void> {
  await db
    .update(users)
    .set(forwardOnly({ tokensValidAfter: at, updatedAt: at }))
    .where(eq(users.id, id));
}

/** Number of rows changed: 0 means the user is gone (deleted concurrently). */
export async function updateUser(db: Database, id: string, changes: Partial<NewUserRow>): Promise<number> {
  const result = await db.update(users).set(forwardOnly(changes)).where(eq(users.id, id));
  return result.rowsAffected;
}

/** updateUser for changes to a unique column (the email): a clash is "taken", never a 500. */
export async function updateUserUnlessTaken(db: Database, id: string, changes: Partial<NewUserRow>): Promise<number | "taken"> {
  try {
    return await updateUser(db, id, changes);
  } catch (error) {
    if (duplicateKeyName(error)) return "taken";
    throw error;
  }
}

/**
 * The user and its profile are one row; its security events go in the same transaction, so the
 * account is either whole or gone with everything recorded about it.
 */
export async function deleteUser(db: Database, id: string): Promise<number> {
  return db.transaction(async (tx) => {
    // The user row first: its lock makes a concurrent event INSERT ... SELECT (which reads that
    // row) wait and then find no user, instead of deadlocking on the events' index gap.
    const result = await tx.delete(users).where(eq(users.id, id));
    // Gone already: what is left under its id is the audit record of its deletion (an admin's),
    // which a second delete must not erase. (Rows of its own cannot outlive it: their INSERTs
    // need the user row.)
    if (result.rowsAffected === 0) return 0;
    await deleteSecurityEventsOf(tx, id);
    await deletePasskeysOf(tx, id);
    await deleteIdentitiesOf(tx, id);
    return result.rowsAffected;
  });
}

/** Sets a verified flag only if the address or number is still the one the code was sent to. */
export async function markVerified(db: Database, id: string, what: "email" | "phone", target: string, at: Date): Promise<number> {
  const result =
    what === "email"
      ? await db
          .update(users)
          .set({ isEmailVerified: true, updatedAt: at })
          .where(and(eq(users.id, id), eq(users.emailCanonical, target)))
      : await db
          .update(users)
          .set({ isPhoneNumberVerified: true, updatedAt: at })
          .where(and(eq(users.id, id), eq(users.phoneNumber, target)));
  return result.rowsAffected;
}

export type EmailChangeResult = "changed" | "taken" | "gone";

/** The unique index on email_canonical decides races: a clash is "taken", never a 500. */
export async function changeEmail(
  db: Database,
  id: string,
  email: string,
  emailCanonical: string,
  at: Date,
): Promise<EmailChangeResult> {
  try {
    const result = await db
      .update(users)
      .set({ email, emailCanonical, isEmailVerified: true, updatedAt: at })
      .where(eq(users.id, id));
    return result.rowsAffected > 0 ? "changed" : "gone";
  } catch (error) {
    if (duplicateKeyName(error)) return "taken";
    throw error;
  }
}

/**
 * A TOTP code's step, accepted once: only when it is later than the last accepted one and the
 * secret is still the one the check used (2FA not disabled or re-enrolled meanwhile). The
 * conditional UPDATE is the race guard: of two requests with the same code, one changes the row.
 * A secret sealed under an earlier key is sealed again on the way.
 */
async function acceptTotpStep(db: Database, id: string, sealedSecret: string, step: number, resealed?: string): Promise<boolean> {
  const result = await db
    .update(users)
    .set(resealed ? { totpLastStep: step, totpSecret: resealed } : { totpLastStep: step })
    .where(and(eq(users.id, id), eq(users.totpSecret, sealedSecret), lt(users.totpLastStep, step)));
  return result.rowsAffected === 1;
}

/**
 * Two-factor changes made only if the columns still hold what the caller read (compare and set):
 * a recovery code is spent once, and a setup is confirmed for the secret that was checked.
 */
async function updateTwoFactorIf(
  db: Database,
  id: string,
  expected: { recoveryCodes?: string | null; totpPendingSecret?: string; twoFactorMethods?: string },
  changes: Partial<NewUserRow>,
): Promise<boolean> {
  const conditions = [eq(users.id, id)];
  if (expected.recoveryCodes !== undefined)
    conditions.push(
      expected.recoveryCodes === null ? isNull(users.recoveryCodes) : eq(users.recoveryCodes, expected.recoveryCodes),
    );
  if (expected.totpPendingSecret !== undefined) conditions.push(eq(users.totpPendingSecret, expected.totpPendingSecret));
  if (expected.twoFactorMethods !== undefined) conditions.push(eq(users.twoFactorMethods, expected.twoFactorMethods));
  const result = await db
    .update(users)
    .set(forwardOnly(changes))
    .where(and(...conditions));
  return result.rowsAffected === 1;
}

/** The users table, bound to this request's database connection. */
export const userStore = (db: Database) =>
  bindTo(db, {
    insert: insertUser,
    findTakenIdentifiers,
    findByEitherName: findUsersByEitherName,
    findById: findUserById,
    search: searchUsers,
    updateUnlessTaken: updateUserUnlessTaken,
    findForLogin: findUserForLogin,
    findToSignIn: findUserToSignIn,
    recordLogin,
    setTokensValidAfter,
    update: updateUser,
    delete: deleteUser,
    markVerified,
    changeEmail,
    acceptTotpStep,
    updateTwoFactorIf,
  });
export type UserStore = ReturnType<typeof userStore>;
