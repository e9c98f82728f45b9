// Webhook endpoints for operators (the admin API): create (the secret, or for v1a the public key,
// shown at once), list, change, delete, rotate the secret (the old one keeps signing for 24 h), send
// a test message, and read the deliveries. Secrets are sealed at rest with the endpoint's id.
import type { WebhookDeliveryRow, WebhookRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { AppError, validationError } from "../lib/errors.ts";
import { splitPage } from "../lib/pages.ts";
import { newSigningSecret, type SigningScheme } from "../lib/webhook-signing.ts";
import { webhookUrlProblem } from "../lib/webhook-urls.ts";
import { WEBHOOK_EVENTS, type WebhookEvent } from "../webhooks/jobs.ts";
import type { AdminActor } from "./api-key-service.ts";
import { secretBox } from "./second-factor-proofs.ts";

export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

type WebhookDeps = Pick<Deps, "clock" | "config" | "ids" | "securityLog" | "webhookEndpoints">;

const eventsOf = (row: WebhookRow) => WEBHOOK_EVENTS.filter((event) => row.events.split(",").includes(event));

export function webhookView(row: WebhookRow, now: Date) {
  const overlapping = row.previousUntil !== null && row.previousUntil.getTime() > now.getTime();
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: eventsOf(row),
    signature: row.scheme as SigningScheme,
    // v1a: the keys a receiver verifies with (the previous one too while it still signs).
    public_keys: row.publicKey ? [row.publicKey, ...(overlapping && row.previousPublicKey ? [row.previousPublicKey] : [])] : [],
    previous_secret_until: overlapping ? (row.previousUntil?.toISOString() ?? null) : null,
    enabled: row.enabled,
    disabled_reason: row.disabledReason,
    failing_since: row.failingSince?.toISOString() ?? null,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
  };
}

function checkUrl(deps: Pick<Deps, "config">, url: string): void {
  const problem = webhookUrlProblem(url, deps.config.ENVIRONMENT);
  if (problem) throw validationError({ url: [problem] });
}

const audit = (actor: AdminActor, id: string) => ({ actor: actor.id, target: `webhook:${id}` });

/** What the creator (and a rotation) shows once: the secret for v1; for v1a only the public key is needed. */
const revealed = (scheme: SigningScheme, material: { secret: string; publicKey: string | null }) =>
  scheme === "v1" ? { secret: material.secret } : { public_key: material.publicKey };

export async function createWebhook(
  deps: WebhookDeps,
  actor: AdminActor,
  input: { url: string; events: WebhookEvent[]; description: string; signature: SigningScheme },
) {
  checkUrl(deps, input.url);
  const now = deps.clock.now();
  const id = `wh_${deps.ids.alphanumeric(16)}`;
  const material = await newSigningSecret(input.signature);
  const row: WebhookRow = {
    id,
    url: input.url,
    description: input.description,
    events: WEBHOOK_EVENTS.filter((event) => input.events.includes(event)).join(","),
    scheme: input.signature,
    secretSealed: await secretBox(deps.config).seal(material.secret, id),
    publicKey: material.publicKey,
    previousSecretSealed: null,
    previousPublicKey: null,
    previousUntil: null,
    enabled: true,
    disabledReason: null,
    failingSince: null,
    createdBy: actor.id,
    createdAt: now,
    updatedAt: now,
  };
  await deps.webhookEndpoints.insert(row);
  deps.securityLog.record("webhook_created", undefined, audit(actor, id));
  return { ...webhookView(row, now), ...revealed(input.signature, material) };
}

async function existing(deps: Pick<Deps, "webhookEndpoints">, id: string): Promise<WebhookRow> {
  const row = await deps.webhookEndpoints.find(id);
  if (!row) throw new AppError("NOT_FOUND", { message: "no such webhook" });
  return row;
}

export async function listWebhooks(deps: Pick<Deps, "clock" | "webhookEndpoints">) {
  const now = deps.clock.now();
  return (await deps.webhookEndpoints.list()).map((row) => webhookView(row, now));
}

export async function getWebhook(deps: Pick<Deps, "clock" | "webhookEndpoints">, id: string) {
  return webhookView(await existing(deps, id), deps.clock.now());
}

/** Enabling again (after the 5-day disable, or by hand) starts a fresh failing streak. */
export async function updateWebhook(
  deps: WebhookDeps,
  actor: AdminActor,
  id: string,
  patch: { url?: string; events?: WebhookEvent[]; description?: string; enabled?: boolean },
) {
  const row = await existing(deps, id);
  if (patch.url !== undefined) checkUrl(deps, patch.url);
  const now = deps.clock.now();
  const changes: Partial<WebhookRow> = { updatedAt: now };
  if (patch.url !== undefined) changes.url = patch.url;
  if (patch.description !== undefined) changes.description = patch.description;
  if (patch.events !== undefined) changes.events = WEBHOOK_EVENTS.filter((event) => patch.events?.includes(event)).join(",");
  if (patch.enabled !== undefined) {
    changes.enabled = patch.enabled;
    changes.disabledReason = patch.enabled ? null : "disabled by an operator";
    if (patch.enabled) changes.failingSince = null;
  }
  if ((await deps.webhookEndpoints.update(id, changes)) === 0) throw new AppError("NOT_FOUND", { message: "no such webhook" });
  deps.securityLog.record("webhook_updated", undefined, audit(actor, id));
  return webhookView({ ...row, ...changes }, now);
}

export async function deleteWebhook(deps: WebhookDeps, actor: AdminActor, id: string) {
  if ((await deps.webhookEndpoints.delete(id)) === 0) throw new AppError("NOT_FOUND", { message: "no such webhook" });
  deps.securityLog.record("webhook_deleted", undefined, audit(actor, id));
}

/** A new secret; the current one becomes the previous and keeps signing (both signatures sent) for 24 h. */
export async function rotateWebhookSecret(deps: WebhookDeps, actor: AdminActor, id: string) {
  const row = await existing(deps, id);
  const now = deps.clock.now();
  // A second rotation would drop the secret receivers may still be on before its 24 h are up.
  if (row.previousUntil && row.previousUntil.getTime() > now.getTime())
    throw validationError({
      rotate: [`A rotation is under way until ${row.previousUntil.toISOString()}: rotate again after it.`],
    });
  const scheme = row.scheme as SigningScheme;
  const material = await newSigningSecret(scheme);
  const changes: Partial<WebhookRow> = {
    secretSealed: await secretBox(deps.config).seal(material.secret, id),
    publicKey: material.publicKey,
    previousSecretSealed: row.secretSealed,
    previousPublicKey: row.publicKey,
    previousUntil: new Date(now.getTime() + ROTATION_OVERLAP_MS),
    updatedAt: now,
  };
  if ((await deps.webhookEndpoints.update(id, changes)) === 0) throw new AppError("NOT_FOUND", { message: "no such webhook" });
  deps.securityLog.record("webhook_secret_rotated", undefined, audit(actor, id));
  return { ...webhookView({ ...row, ...changes }, now), ...revealed(scheme, material) };
}

/** A `webhook.test` message to this endpoint alone, through the queue like any other. */
export async function sendTestMessage(
  deps: Pick<Deps, "clock" | "config" | "ids" | "log" | "webhookEndpoints" | "webhookQueue">,
  id: string,
) {
  const row = await existing(deps, id);
  if (!row.enabled) throw validationError({ enabled: ["The webhook is disabled: enable it first."] });
  if (!deps.webhookQueue) {
    deps.log.error("config_error", { variable: "WEBHOOK_QUEUE", problem: "not bound: webhooks cannot be delivered" });
    throw new AppError("CONFIG_ERROR");
  }
  const message = {
    id: `msg_${deps.ids.alphanumeric(24)}`,
    type: "webhook.test" as const,
    timestamp: deps.clock.now().toISOString(),
    data: { webhook_id: id },
  };
  await deps.webhookQueue.send({ kind: "webhook-event", message, only: id });
  return { message_id: message.id };
}

export function deliveryView(row: WebhookDeliveryRow) {
  return {
    id: String(row.id),
    message_id: row.messageId,
    event_type: row.eventType,
    state: row.state,
    attempts: row.attempts,
    last_status: row.lastStatus,
    last_error: row.lastError,
    next_retry_at: row.nextRetryAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export async function webhookDeliveries(deps: Pick<Deps, "webhookEndpoints">, id: string, limit: number, beforeId?: number) {
  await existing(deps, id);
  const rows = await deps.webhookEndpoints.listDeliveries(id, limit + 1, beforeId);
  const { page, last } = splitPage(rows, limit);
  return { deliveries: page.map(deliveryView), next: last?.id };
}
