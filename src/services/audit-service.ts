// The audit trail (GET /admin/events/): every account's security events, admin actions among
// them with their actor, newest first, filtered by user, event type or actor.
import type { SecurityEventRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { splitPage } from "../lib/pages.ts";
import type { EventFilter } from "../stores/security-event-store.ts";

export function auditEventView(row: SecurityEventRow) {
  return {
    id: String(row.id),
    event: row.event,
    created_at: row.createdAt.toISOString(),
    user_id: row.userId,
    actor: row.actor,
    target: row.target,
    ip: row.ip || null,
    country: row.country || null,
    user_agent: row.userAgent || null,
    request_id: row.requestId || null,
  };
}

/** One page; `next` is the last row's id when another page follows. */
export async function auditEvents(deps: Pick<Deps, "securityEvents">, filter: EventFilter, limit: number, beforeId?: number) {
  const rows = await deps.securityEvents.listAll(filter, limit + 1, beforeId);
  const { page, last } = splitPage(rows, limit);
  return { events: page.map(auditEventView), next: last?.id };
}
