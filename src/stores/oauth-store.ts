// Sign-in-with flows in Redis (see oauth-scripts.ts): a flow is kept by its start and taken by
// its callback, once; a one-time code is spent by the exchange, with the session or the
// second-factor challenge it opens.
import type { Redis } from "@upstash/redis/cloudflare";
import { bindTo } from "./bind.ts";
import type { MfaChallenge } from "./mfa-store.ts";
import { mfaChallengeFields } from "./mfa-store.ts";
import { OAUTH_OPEN_MFA, OAUTH_SIGN_IN } from "./oauth-scripts.ts";
import { reachRedis, runScript } from "./redis.ts";
import { mfaKey, oauthFlowKey, oauthSpentKey } from "./redis-keys.ts";
import { type NewSession, sessionKeys, sessionScriptArgs } from "./session-store.ts";

export interface OAuthFlow {
  provider: string;
  verifier: string;
  nonce: string;
  /** The app URL the flow returns to (on the allowlist when it started). */
  redirectUri: string;
  /** SHA-256 of the browser binding cookie; empty for a link flow (bound to its account instead). */
  binding: string;
  /** The app's own PKCE challenge (S256), when it sent one: the exchange then needs its verifier. */
  appChallenge: string;
  /** A link flow: the account the identity is for. Empty for a sign-in. */
  linkUserId: string;
}

async function keepFlow(redis: Redis, stateDigest: string, flow: OAuthFlow, ttlSeconds: number): Promise<void> {
  await reachRedis(redis.set(oauthFlowKey(stateDigest), JSON.stringify(flow), { ex: ttlSeconds }));
}

/** Takes a flow: it, or null when unknown, expired or taken already. */
async function takeFlow(redis: Redis, stateDigest: string): Promise<OAuthFlow | null> {
  // Parsed here, not by the client: the value is ours, but Upstash's client would turn JSON into objects by itself.
  const value = await reachRedis(redis.getdel<unknown>(oauthFlowKey(stateDigest)));
  if (value === null || value === undefined) return null;
  const flow = (typeof value === "string" ? JSON.parse(value) : value) as OAuthFlow;
  return typeof flow.provider === "string" ? flow : null;
}

export type SpendResult = "ok" | "ok-new-device" | "used" | "stale";

/** Spends a code (by its id) and opens the session, in one script. */
async function signInWithCode(redis: Redis, codeId: string, spentTtlMs: number, session: NewSession): Promise<SpendResult> {
  const keys = [...sessionKeys(session), oauthSpentKey(codeId)];
  const reply = await reachRedis(
    runScript<string>(redis, OAUTH_SIGN_IN, keys, [...sessionScriptArgs(session), String(spentTtlMs), session.device]),
  );
  if (reply === "ok" || reply === "ok-new-device" || reply === "used" || reply === "stale") return reply;
  throw new Error(`unexpected sign-in reply: ${String(reply).slice(0, 40)}`);
}

/** Spends a code and opens a second-factor challenge, in one script. */
async function openChallengeWithCode(
  redis: Redis,
  codeId: string,
  spentTtlMs: number,
  stored: { tokenDigest: string; fields: MfaChallenge; ttlMs: number },
): Promise<"ok" | "used"> {
  const args = [String(spentTtlMs), String(stored.ttlMs), ...mfaChallengeFields(stored.fields)];
  const reply = await reachRedis(
    runScript<string>(redis, OAUTH_OPEN_MFA, [oauthSpentKey(codeId), mfaKey(stored.tokenDigest)], args),
  );
  if (reply === "ok" || reply === "used") return reply;
  throw new Error(`unexpected challenge reply: ${String(reply).slice(0, 40)}`);
}

/** Spends a code that opens nothing (a link): true the first time. */
async function spendCode(redis: Redis, codeId: string, spentTtlMs: number): Promise<boolean> {
  return (await reachRedis(redis.set(oauthSpentKey(codeId), "1", { nx: true, px: spentTtlMs }))) === "OK";
}

/** Sign-in-with flows, bound to this request's connection. */
export const oauthStore = (redis: Redis) =>
  bindTo(redis, {
    keepFlow,
    takeFlow,
    signIn: signInWithCode,
    openChallenge: openChallengeWithCode,
    spend: spendCode,
  });
export type OAuthStore = ReturnType<typeof oauthStore>;
