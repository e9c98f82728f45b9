// Webhook endpoints and their deliveries in MySQL. The only code that reads or writes the webhooks
// and webhook_deliveries tables.
import { and, asc, desc, eq, inArray, lt, sql } from "drizzle-orm";
import { type WebhookDeliveryRow, type WebhookRow, webhookDeliveries, webhooks } from "../db/schema.ts";
import { bindTo } from "./bind.ts";
import type { Database } from "./database.ts";

export async function insertWebhook(db: Database, row: WebhookRow): Promise<void> {
  await db.insert(webhooks).values(row);
}

export async function findWebhook(db: Database, id: string): Promise<WebhookRow | undefined> {
  const [row] = await db.select().from(webhooks).where(eq(webhooks.id, id)).limit(1);
  return row;
}

export async function listWebhooks(db: Database): Promise<WebhookRow[]> {
  return db.select().from(webhooks).orderBy(asc(webhooks.createdAt), asc(webhooks.id));
}

/** Enabled endpoints that subscribe to `type` (the list is short: filtered here, not in SQL). */
export async function webhooksFor(db: Database, type: string): Promise<WebhookRow[]> {
  const rows = await db.select().from(webhooks).where(eq(webhooks.enabled, true));
  return rows.filter((row) => row.events.split(",").includes(type));
}

/** Number of rows changed: 0 when there is no such endpoint. */
export async function updateWebhook(db: Database, id: string, changes: Partial<WebhookRow>): Promise<number> {
  const result = await db.update(webhooks).set(changes).where(eq(webhooks.id, id));
  return result.rowsAffected;
}

/** The endpoint and its delivery records in one transaction. */
export async function deleteWebhook(db: Database, id: string): Promise<number> {
  return db.transaction(async (tx) => {
    const result = await tx.delete(webhooks).where(eq(webhooks.id, id));
    await tx.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id));
    return result.rowsAffected;
  });
}

/**
 * A delivery record per endpoint for one message (written once: a retried fan-out finds the rows
 * its first try wrote); returns their ids by endpoint.
 */
export async function insertDeliveries(db: Database, rows: Omit<WebhookDeliveryRow, "id">[]): Promise<Map<string, number>> {
  const first = rows[0];
  if (!first) return new Map();
  await db
    .insert(webhookDeliveries)
    .values(rows)
    .onDuplicateKeyUpdate({ set: { messageId: sql`${webhookDeliveries.messageId}` } });
  const written = await db
    .select({ id: webhookDeliveries.id, webhookId: webhookDeliveries.webhookId })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.messageId, first.messageId),
        inArray(
          webhookDeliveries.webhookId,
          rows.map((row) => row.webhookId),
        ),
      ),
    );
  return new Map(written.map((row) => [row.webhookId, row.id]));
}

export async function updateDelivery(db: Database, id: number, changes: Partial<WebhookDeliveryRow>): Promise<void> {
  await db.update(webhookDeliveries).set(changes).where(eq(webhookDeliveries.id, id));
}

/** An endpoint's deliveries, newest first; `beforeId` continues a listing. */
export async function listDeliveries(db: Database, webhookId: string, limit: number, beforeId?: number) {
  const conditions = [eq(webhookDeliveries.webhookId, webhookId)];
  if (beforeId !== undefined) conditions.push(lt(webhookDeliveries.id, beforeId));
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(...conditions))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
}

/** A success clears the failing streak; a failure starts one unless one is running. */
export async function recordEndpointOutcome(db: Database, id: string, succeeded: boolean, at: Date): Promise<void> {
  await db
    .update(webhooks)
    .set({ failingSince: succeeded ? null : sql`COALESCE(${webhooks.failingSince}, ${at})` })
    .where(eq(webhooks.id, id));
}

export const webhookStore = (db: Database) =>
  bindTo(db, {
    insert: insertWebhook,
    find: findWebhook,
    list: listWebhooks,
    subscribedTo: webhooksFor,
    update: updateWebhook,
    delete: deleteWebhook,
    insertDeliveries,
    updateDelivery,
    listDeliveries,
    recordOutcome: recordEndpointOutcome,
  });
export type WebhookStore = ReturnType<typeof webhookStore>;
