// WebAuthn challenges in Redis (see passkey-scripts.ts): made by an options request, spent by the
// verify that follows, whatever its outcome.
import type { Redis } from "@upstash/redis/cloudflare";
import { bindTo } from "./bind.ts";
import { PASSKEY_LOGIN } from "./passkey-scripts.ts";
import { reachRedis, runScript } from "./redis.ts";
import { challengeKey } from "./redis-keys.ts";
import { type NewSession, sessionKeys, sessionScriptArgs } from "./session-store.ts";

export type ChallengePurpose = "register" | "login";

/** Keeps a challenge for `ttlMs`, bound to a purpose and an account ("" for none). */
async function keepChallenge(redis: Redis, challenge: string, purpose: ChallengePurpose, userId: string, ttlMs: number) {
  await reachRedis(redis.set(challengeKey(challenge), `${purpose}:${userId}`, { px: ttlMs }));
}

/** Spends a challenge: what it was bound to, or null when unknown, expired or spent already. */
async function takeChallenge(redis: Redis, challenge: string): Promise<{ purpose: string; userId: string } | null> {
  const value = await reachRedis(redis.getdel<string>(challengeKey(challenge)));
  if (typeof value !== "string") return null;
  const [purpose = "", userId = ""] = value.split(":");
  return { purpose, userId };
}

export type PasskeyLoginResult = "ok" | "ok-new-device" | "gone" | "other-user" | "stale";

/** Spends a sign-in challenge and opens the session, in one script. */
async function signInWithChallenge(redis: Redis, challenge: string, session: NewSession): Promise<PasskeyLoginResult> {
  const keys = [...sessionKeys(session), challengeKey(challenge)];
  const reply = await reachRedis(runScript<string>(redis, PASSKEY_LOGIN, keys, [...sessionScriptArgs(session), session.device]));
  if (reply === "ok" || reply === "ok-new-device" || reply === "gone" || reply === "other-user" || reply === "stale")
    return reply;
  throw new Error(`unexpected passkey sign-in reply: ${String(reply).slice(0, 40)}`);
}

/** WebAuthn challenges, bound to this request's connection. */
export const passkeyChallengeStore = (redis: Redis) =>
  bindTo(redis, { keep: keepChallenge, take: takeChallenge, signIn: signInWithChallenge });
export type PasskeyChallengeStore = ReturnType<typeof passkeyChallengeStore>;
