// API keys for the admin API: servers and scripts act with a key's scopes, admins with their
// token (every scope). A key is 256 random bits behind an `lse_` prefix (secret scanners can
// spot it); only its SHA-256 digest is stored, so a database leak hands out no working key.
import { base64url } from "jose";
import type { ApiKeyRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { isDisabled } from "../lib/account-status.ts";
import { AppError } from "../lib/errors.ts";
import { digestHex } from "../lib/hex.ts";
import type { AuditTrail } from "./security-log.ts";

export const ADMIN_SCOPES = ["users:read", "users:write", "webhooks:read", "webhooks:write", "events:read"] as const;
export type AdminScope = (typeof ADMIN_SCOPES)[number];

/** Who is calling the admin API: an admin (by token, every scope) or an API key (its scopes). */
export interface AdminActor {
  /** "user:<id>" or "api_key:<id>", as the audit trail names it. */
  id: string;
  scopes: readonly AdminScope[];
}

const KEY_PREFIX = "lse_";
// 32 random bytes in base64url: 43 characters.
const KEY_SHAPE = /^lse_[A-Za-z0-9_-]{43}$/;

type ApiKeyDeps = Pick<Deps, "apiKeys" | "clock" | "ids" | "securityLog">;

/** The stored scopes, any unknown to this version dropped (a key never gains power by a typo). */
const scopesOf = (row: ApiKeyRow): AdminScope[] => ADMIN_SCOPES.filter((scope) => row.scopes.split(",").includes(scope));

export function apiKeyView(row: ApiKeyRow) {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: scopesOf(row),
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt?.toISOString() ?? null,
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** A new key: the answer is the only place the key itself ever appears. */
export async function createApiKey(
  deps: ApiKeyDeps,
  actor: AdminActor,
  input: { name: string; scopes: AdminScope[]; expiresInDays: number | undefined },
) {
  const key = KEY_PREFIX + base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
  const now = deps.clock.now();
  const row: ApiKeyRow = {
    id: `key_${deps.ids.alphanumeric(16)}`,
    name: input.name,
    digest: await digestHex("SHA-256", key),
    prefix: key.slice(0, 10),
    // In a fixed order, each once: the stored list reads the same however it was asked for.
    scopes: ADMIN_SCOPES.filter((scope) => input.scopes.includes(scope)).join(","),
    createdBy: actor.id,
    createdAt: now,
    expiresAt: input.expiresInDays === undefined ? null : new Date(now.getTime() + input.expiresInDays * 86_400_000),
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.apiKeys.insert(row);
  deps.securityLog.record("api_key_created", undefined, audit(actor, row.id));
  return { ...apiKeyView(row), key };
}

export async function listApiKeys(deps: Pick<Deps, "apiKeys">) {
  return (await deps.apiKeys.listLive()).map(apiKeyView);
}

/** Deleting a key refuses it from the next request on; its row stays for the audit trail. */
export async function deleteApiKey(deps: ApiKeyDeps, actor: AdminActor, id: string) {
  if (!(await deps.apiKeys.revoke(id, deps.clock.now()))) throw new AppError("NOT_FOUND", { message: "no such API key" });
  deps.securityLog.record("api_key_revoked", undefined, audit(actor, id));
}

/** An admin acting with their own token (not an API key). */
export const actedByAdmin = (actor: AdminActor) => actor.id.startsWith("user:");

const audit = (actor: AdminActor, keyId: string): AuditTrail => ({ actor: actor.id, target: `api_key:${keyId}` });

export const looksLikeApiKey = (bearer: string) => bearer.startsWith(KEY_PREFIX);

/**
 * The actor behind a presented key, or null for a key that is malformed, unknown, deleted or
 * expired, or whose creator is no longer an active admin (demoted, disabled, deleted: a key is
 * never more than the person who made it). All alike to the caller. Its last use is written
 * after the response.
 */
export async function actorOfApiKey(
  deps: Pick<Deps, "apiKeys" | "background" | "clock">,
  key: string,
): Promise<AdminActor | null> {
  if (!KEY_SHAPE.test(key)) return null;
  const found = await deps.apiKeys.findByDigest(await digestHex("SHA-256", key));
  const now = deps.clock.now();
  if (!found) return null;
  const { key: row, creator } = found;
  if (creator?.role !== "admin" || isDisabled(creator, now)) return null;
  if (row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt.getTime() <= now.getTime())) return null;
  deps.background("recording an API key's use", () => deps.apiKeys.touch(row.id, now));
  return { id: `api_key:${row.id}`, scopes: scopesOf(row) };
}
