// The security log: each event becomes one structured JSON log line at once and, for a known
// user, a row of security_events written after the response (readable by its owner). Only the
// fields below are ever recorded: never a password, code, token, or what was typed as a name.
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import { splitPage } from "../lib/pages.ts";
import type { SecurityEventStore } from "../stores/security-event-store.ts";
import { WEBHOOK_FOR_SECURITY_EVENT, type WebhookEmitter } from "./webhook-events.ts";

export const SECURITY_EVENTS = [
  "login_succeeded",
  "login_failed",
  "account_locked",
  "password_changed",
  "password_reset",
  "email_verified",
  "phone_verified",
  "email_changed",
  "email_change_undone",
  "sessions_revoked",
  "account_deleted",
  "two_factor_enabled",
  "two_factor_disabled",
  "recovery_codes_regenerated",
  "two_factor_failed",
  "two_factor_methods_changed",
  "passkey_added",
  "passkey_renamed",
  "passkey_removed",
  "passkey_login_failed",
  "passkey_clone_suspected",
  "identity_linked",
  "account_disabled",
  "account_enabled",
  "identity_unlinked",
  // The admin API: what operators did (each names its actor).
  "role_changed",
  "account_created_by_admin",
  "profile_changed_by_admin",
  "two_factor_reset",
  "api_key_created",
  "api_key_revoked",
  "new_device",
  "webhook_created",
  "webhook_updated",
  "webhook_deleted",
  "webhook_secret_rotated",
  "webhook_disabled",
] as const;
export type SecurityEvent = (typeof SECURITY_EVENTS)[number];

/** Who sent the request: Cloudflare's client IP and country guess, and the user agent. */
export interface RequestContext {
  requestId: string;
  ip: string;
  /** The IP as per-client limits count it (an IPv6 /64). */
  ipKey: string;
  country: string;
  userAgent: string;
  /** The network's autonomous system number (Cloudflare's cf.asn), "" when unknown. */
  asn: string;
}

/** Who did an admin action ("user:<id>" for an admin, "api_key:<id>"), and what it touched when not an account. */
export interface AuditTrail {
  actor: string;
  target?: string;
}

export interface SecurityLog {
  /**
   * `userId` when the account is known; without it (and without `audit`) the event is only
   * logged. `audit` names the operator behind an admin action.
   */
  record(event: SecurityEvent, userId?: string, audit?: AuditTrail, webhookData?: Record<string, unknown>): void;
}

export function createSecurityLog(
  events: SecurityEventStore,
  context: RequestContext,
  clock: Clock,
  background: (label: string, task: () => Promise<void>) => void,
  /** Carries the request id. */
  logger: Logger,
  /** Events other systems hear of (webhooks): a sign-in is a session.created, and so on. */
  webhooks?: WebhookEmitter,
): SecurityLog {
  return {
    record(event, userId, audit, webhookData) {
      const at = clock.now();
      const { requestId, ip, country, userAgent } = context;
      const actor = audit?.actor ?? null;
      const target = audit?.target ?? null;
      logger.info(event, {
        type: "security",
        user_id: userId ?? null,
        ...(audit ? { actor, target } : {}),
        ip,
        country,
        user_agent: userAgent,
        at: at.toISOString(),
      });
      const hook = WEBHOOK_FOR_SECURITY_EVENT[event];
      if (hook && userId) {
        const data =
          hook === "session.created"
            ? { user_id: userId, country, user_agent: userAgent, new_device: false }
            : { user_id: userId };
        webhooks?.emit(hook, { ...data, ...webhookData });
      }
      const row = { event, actor, target, ip, country, userAgent, requestId, createdAt: at };
      // An admin action on no account, or an admin's deletion of one: kept for the audit trail.
      if (audit && (!userId || event === "account_deleted")) {
        background(`recording ${event}`, () => events.insertAudit({ ...row, userId: userId ?? null }));
        return;
      }
      // A deleted account keeps no rows: its own deletion is only logged.
      if (!userId || event === "account_deleted") return;
      background(`recording ${event}`, () => events.insert({ ...row, userId }));
    },
  };
}

export interface SecurityEventPage {
  events: {
    id: string;
    event: string;
    created_at: string;
    ip: string | null;
    country: string | null;
    user_agent: string | null;
    /** "admin" when an operator did it (the admin API), null when the user did. */
    actor: "admin" | null;
  }[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: string | null;
}

export async function securityEventsOf(
  events: SecurityEventStore,
  userId: string,
  limit: number,
  before?: number,
): Promise<SecurityEventPage> {
  const rows = await events.list(userId, limit + 1, before);
  const { page, last } = splitPage(rows, limit);
  return {
    // An operator's action shows as "admin": never which operator, nor their address or browser.
    events: page.map((row) => ({
      id: String(row.id),
      event: row.event,
      created_at: row.createdAt.toISOString(),
      ip: (!row.actor && row.ip) || null,
      country: (!row.actor && row.country) || null,
      user_agent: (!row.actor && row.userAgent) || null,
      actor: row.actor ? ("admin" as const) : null,
    })),
    next: last ? String(last.id) : null,
  };
}
