// The security log: each event becomes one structured JSON log line at once and, for a known
// user, a row of security_events written after the response (readable by its owner). Only the
// fields below are ever recorded: never a password, code, token, or what was typed as a name.
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { SecurityEventStore } from "../stores/security-event-store.ts";

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
}

export interface SecurityLog {
  /** `userId` when the account is known; without it the event is only logged. */
  record(event: SecurityEvent, userId?: string): void;
}

export function createSecurityLog(
  events: SecurityEventStore,
  context: RequestContext,
  clock: Clock,
  background: (label: string, task: () => Promise<void>) => void,
  /** Carries the request id. */
  logger: Logger,
): SecurityLog {
  return {
    record(event, userId) {
      const at = clock.now();
      const { requestId, ip, country, userAgent } = context;
      logger.info(event, { type: "security", user_id: userId ?? null, ip, country, user_agent: userAgent, at: at.toISOString() });
      // A deleted account keeps no rows: its deletion is only logged.
      if (!userId || event === "account_deleted") return;
      background(`recording ${event}`, () => events.insert({ userId, event, ip, country, userAgent, requestId, createdAt: at }));
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
  // One row more than asked says whether another page exists, without a COUNT.
  const rows = await events.list(userId, limit + 1, before);
  const page = rows.slice(0, limit);
  return {
    events: page.map((row) => ({
      id: String(row.id),
      event: row.event,
      created_at: row.createdAt.toISOString(),
      ip: row.ip || null,
      country: row.country || null,
      user_agent: row.userAgent || null,
    })),
    next: rows.length > limit ? String(page[page.length - 1]?.id) : null,
  };
}
