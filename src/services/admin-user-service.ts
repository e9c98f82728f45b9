// What the admin API shows of one user: the profile as the user sees it, with the role, the
// second-factor methods, passkeys, linked identities and the last 20 security events. Never a
// secret: no password hash, TOTP seed or recovery code digests.
import type { UserRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { isDisabled } from "../lib/account-status.ts";
import { AppError, validationError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import { splitPage } from "../lib/pages.ts";
import { parseMethods } from "../lib/two-factor.ts";
import { type AdminActor, actedByAdmin } from "./api-key-service.ts";
import { identityView } from "./identity-service.ts";
import { passkeyView } from "./passkey-service.ts";
import { securityEventsOf } from "./security-log.ts";
import { revokeEverySession, revokeSessionsInRedis, sessionViews } from "./session-service.ts";
import { publicUser } from "./user-view.ts";

/** A user in a listing: enough to find the one a ticket is about, nothing secret. */
export function userSummary(user: UserRow, now: Date) {
  return {
    user_id: user.id,
    username: user.username,
    email: user.email,
    first_name: user.firstName,
    last_name: user.lastName,
    is_email_verified: user.isEmailVerified,
    phone_number: user.phoneNumber,
    role: user.role === "admin" ? ("admin" as const) : ("user" as const),
    two_factor_methods: parseMethods(user.twoFactorMethods),
    disabled: isDisabled(user, now),
    created_at: user.createdAt.toISOString(),
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
  };
}

export interface UserQuery {
  q?: string;
  status?: "active" | "disabled";
  verified?: boolean;
  twoFactor?: boolean;
  afterId?: string;
  limit: number;
}

/** One page in id order; `next` is the last id when another page follows. */
export async function listUsers(deps: Pick<Deps, "clock" | "users">, query: UserQuery) {
  const now = deps.clock.now();
  const q = query.q?.trim();
  const rows = await deps.users.search({
    prefix: q ? { email: canonicalEmail(q), username: canonicalUsername(q), id: q.toLowerCase() } : undefined,
    disabled: query.status === undefined ? undefined : query.status === "disabled",
    emailVerified: query.verified,
    twoFactor: query.twoFactor,
    afterId: query.afterId,
    limit: query.limit + 1,
    now,
  });
  const { page, last } = splitPage(rows, query.limit);
  return { users: page.map((row) => userSummary(row, now)), next: last?.id };
}

export async function userForAdmin(
  deps: Pick<Deps, "clock" | "identities" | "passkeys" | "securityEvents" | "sessions" | "users">,
  id: string,
) {
  const user = await deps.users.findById(id);
  if (!user) throw new AppError("NOT_FOUND", { message: "no such user" });
  const [passkeys, identities, events, sessions] = await Promise.all([
    deps.passkeys.list(id),
    deps.identities.list(id),
    securityEventsOf(deps.securityEvents, id, 20),
    deps.sessions.listOf(id, deps.clock.now().getTime()),
  ]);
  return {
    user: publicUser(user, deps.clock.now()),
    role: user.role === "admin" ? "admin" : "user",
    has_password: user.passwordHash !== null,
    two_factor_methods: parseMethods(user.twoFactorMethods),
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
    disabled: isDisabled(user, deps.clock.now())
      ? { since: user.disabledAt?.toISOString(), reason: user.disabledReason, until: user.disabledUntil?.toISOString() ?? null }
      : null,
    passkeys: passkeys.map(passkeyView),
    identities: identities.map(identityView),
    sessions: sessionViews(sessions),
    security_events: events.events,
  };
}

/**
 * The user an admin action changes. An API key may not change an admin's account (a new address,
 * a 2FA reset and a password reset would make its holder that admin): an admin's token only.
 */
export async function changeableUser(deps: Pick<Deps, "users">, actor: AdminActor, id: string): Promise<UserRow> {
  const row = await deps.users.findById(id);
  if (!row) throw new AppError("NOT_FOUND", { message: "no such user" });
  if (row.role === "admin" && !actedByAdmin(actor))
    throw new AppError("FORBIDDEN", { message: "an admin's account is changed with an admin's token" });
  return row;
}

/** A time-limited disable lasts at most 10 years (DATETIME holds years up to 9999). */
const MAX_DISABLE_MS = 10 * 366 * 86_400_000;

type AdminActionDeps = Pick<Deps, "clock" | "config" | "securityLog" | "sessions" | "users">;

/**
 * Disables an account: it cannot sign in by any path, refresh or reset until enabled (or until
 * `until`). MySQL first, with tokens_valid_after, then every session ends at once.
 */
export async function disableUser(
  deps: AdminActionDeps,
  actor: AdminActor,
  id: string,
  input: { reason: string; until: Date | undefined },
) {
  const now = deps.clock.now();
  const limit = now.getTime() + MAX_DISABLE_MS;
  if (input.until && (input.until.getTime() <= now.getTime() || input.until.getTime() > limit))
    throw validationError({ until: ["Must be in the future, at most 10 years ahead (leave it out to disable until enabled)."] });
  await changeableUser(deps, actor, id);
  const changes = {
    disabledAt: now,
    disabledReason: input.reason,
    disabledUntil: input.until ?? null,
    tokensValidAfter: now,
    updatedAt: now,
  };
  if ((await deps.users.update(id, changes)) === 0) throw new AppError("NOT_FOUND", { message: "no such user" });
  await revokeSessionsInRedis(deps, id, now);
  deps.securityLog.record("account_disabled", id, { actor: actor.id });
}

export async function enableUser(deps: AdminActionDeps, actor: AdminActor, id: string) {
  await changeableUser(deps, actor, id);
  const changes = { disabledAt: null, disabledReason: null, disabledUntil: null, updatedAt: deps.clock.now() };
  if ((await deps.users.update(id, changes)) === 0) throw new AppError("NOT_FOUND", { message: "no such user" });
  deps.securityLog.record("account_enabled", id, { actor: actor.id });
}

/** Ends every session of the user (as their own logout-all). */
export async function logOutUserEverywhere(deps: AdminActionDeps, actor: AdminActor, id: string) {
  await changeableUser(deps, actor, id);
  await revokeEverySession(deps, id, { actor: actor.id });
}
