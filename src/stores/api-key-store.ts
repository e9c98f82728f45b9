// API keys in MySQL. The only code that reads or writes the api_keys table.
import { and, asc, eq, isNull, lt, or, sql } from "drizzle-orm";
import { type ApiKeyRow, apiKeys, users } from "../db/schema.ts";
import { bindTo } from "./bind.ts";
import type { Database } from "./database.ts";

export async function insertApiKey(db: Database, row: ApiKeyRow): Promise<void> {
  await db.insert(apiKeys).values(row);
}

/**
 * The key with this digest, revoked or not, with its creator's account (null when deleted): the
 * caller decides what a revoked or expired key, or one whose admin is gone, means. One read.
 */
export async function findApiKeyByDigest(db: Database, digest: string) {
  const [row] = await db
    .select({ key: apiKeys, creator: { role: users.role, disabledAt: users.disabledAt, disabledUntil: users.disabledUntil } })
    .from(apiKeys)
    // created_by is "user:<id>": the key row is found by its unique digest first, then the creator by primary key.
    .leftJoin(users, eq(users.id, sql`SUBSTRING(${apiKeys.createdBy}, 6)`))
    .where(eq(apiKeys.digest, digest))
    .limit(1);
  return row;
}

/** Keys not deleted, oldest first. */
export async function listLiveApiKeys(db: Database): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).where(isNull(apiKeys.revokedAt)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

/** Marks a live key revoked; false when there is no such live key. */
export async function revokeApiKey(db: Database, id: string, at: Date): Promise<boolean> {
  const result = await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  return result.rowsAffected === 1;
}

/** Last use, written at most once a minute per key: a busy script does not turn every call into a write. */
export async function touchApiKey(db: Database, id: string, at: Date): Promise<void> {
  const aMinuteAgo = new Date(at.getTime() - 60_000);
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, aMinuteAgo))));
}

export const apiKeyStore = (db: Database) =>
  bindTo(db, {
    insert: insertApiKey,
    findByDigest: findApiKeyByDigest,
    listLive: listLiveApiKeys,
    revoke: revokeApiKey,
    touch: touchApiKey,
  });
export type ApiKeyStore = ReturnType<typeof apiKeyStore>;
