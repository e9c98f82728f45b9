// Security events in MySQL. The only code that reads or writes the security_events table.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { securityEvents, users } from "../db/schema.ts";
import { bindTo } from "./bind.ts";
import type { Database } from "./database.ts";

export interface NewSecurityEvent {
  userId: string;
  event: string;
  ip: string;
  country: string;
  userAgent: string;
  requestId: string;
  createdAt: Date;
}

/**
 * One INSERT ... SELECT that writes only while the user exists: an event recorded after the
 * response can never outlive an account deleted meanwhile (the user row's lock orders the two).
 */
export async function insertSecurityEvent(db: Database, row: NewSecurityEvent): Promise<void> {
  await db.insert(securityEvents).select(
    db
      .select({
        id: sql`NULL`.as("id"),
        userId: users.id,
        event: sql`${row.event}`.as("event"),
        ip: sql`${row.ip}`.as("ip"),
        country: sql`${row.country}`.as("country"),
        userAgent: sql`${row.userAgent}`.as("user_agent"),
        requestId: sql`${row.requestId}`.as("request_id"),
        createdAt: sql`${row.createdAt}`.as("created_at"),
      })
      .from(users)
      .where(eq(users.id, row.userId)),
  );
}

/** The user's events, newest first; `beforeId` continues a listing after its last row. */
export async function listSecurityEvents(db: Database, userId: string, limit: number, beforeId?: number) {
  return db
    .select()
    .from(securityEvents)
    .where(
      beforeId === undefined
        ? eq(securityEvents.userId, userId)
        : and(eq(securityEvents.userId, userId), lt(securityEvents.id, beforeId)),
    )
    .orderBy(desc(securityEvents.id))
    .limit(limit);
}

/** Inside the account deletion's transaction (user-store.ts): the user's events go with it. */
export async function deleteSecurityEventsOf(tx: Pick<Database, "delete">, userId: string): Promise<void> {
  await tx.delete(securityEvents).where(eq(securityEvents.userId, userId));
}

/** The security_events table, bound to this request's database connection. */
export const securityEventStore = (db: Database) => bindTo(db, { insert: insertSecurityEvent, list: listSecurityEvents });
export type SecurityEventStore = ReturnType<typeof securityEventStore>;
