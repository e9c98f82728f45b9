// Security events in MySQL. The only code that reads or writes the security_events table.
import { and, desc, eq, isNull, lt, type SQL, sql } from "drizzle-orm";
import { securityEvents, users } from "../db/schema.ts";
import { bindTo } from "./bind.ts";
import type { Database } from "./database.ts";

export interface NewSecurityEvent {
  userId: string;
  event: string;
  /** An admin action's actor ("user:<id>" or "api_key:<id>"); null when the user acted. */
  actor: string | null;
  target: string | null;
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
        actor: sql`${row.actor}`.as("actor"),
        target: sql`${row.target}`.as("target"),
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

/**
 * A plain INSERT, for what no account row guards: an admin action on an API key or a webhook
 * (no user), or the record of an admin's deletion of an account, which outlives the account.
 */
export async function insertAuditEvent(db: Database, row: Omit<NewSecurityEvent, "userId"> & { userId: string | null }) {
  await db.insert(securityEvents).values(row);
}

export interface EventFilter {
  userId?: string;
  event?: string;
  actor?: string;
}

/** Every account's events (the admin API), newest first, filtered; `beforeId` continues a listing. */
export async function listAllSecurityEvents(db: Database, filter: EventFilter, limit: number, beforeId?: number) {
  const conditions: SQL[] = [];
  if (filter.userId !== undefined) conditions.push(eq(securityEvents.userId, filter.userId));
  if (filter.event !== undefined) conditions.push(eq(securityEvents.event, filter.event));
  if (filter.actor !== undefined) conditions.push(eq(securityEvents.actor, filter.actor));
  if (beforeId !== undefined) conditions.push(lt(securityEvents.id, beforeId));
  return db
    .select()
    .from(securityEvents)
    .where(and(...conditions))
    .orderBy(desc(securityEvents.id))
    .limit(limit);
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

/**
 * Inside the account deletion's transaction (user-store.ts): the user's own events go with it;
 * what operators did to the account stays (the audit trail, with the operator's address).
 */
export async function deleteSecurityEventsOf(tx: Pick<Database, "delete">, userId: string): Promise<void> {
  await tx.delete(securityEvents).where(and(eq(securityEvents.userId, userId), isNull(securityEvents.actor)));
}

/** The security_events table, bound to this request's database connection. */
export const securityEventStore = (db: Database) =>
  bindTo(db, {
    insert: insertSecurityEvent,
    insertAudit: insertAuditEvent,
    list: listSecurityEvents,
    listAll: listAllSecurityEvents,
  });
export type SecurityEventStore = ReturnType<typeof securityEventStore>;
