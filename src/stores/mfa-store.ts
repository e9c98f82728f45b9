// Logins waiting for their second factor, in Redis (see mfa-scripts.ts).
import type { Redis } from "@upstash/redis/cloudflare";
import { bindTo } from "./bind.ts";
import { type Lockable, type LockoutPolicy, type LockoutReply, lockoutArgs, lockoutReply } from "./lockout-store.ts";
import type { LoginAttempt } from "./login-store.ts";
import { MFA_ANSWER, MFA_CHALLENGE } from "./mfa-scripts.ts";
import { reachRedis, runScript } from "./redis.ts";
import { ipFailuresKey, lockoutKey, mfaKey, otpKey } from "./redis-keys.ts";
import { type NewSession, sessionKeys, sessionScriptArgs } from "./session-store.ts";

/** What the first factor learnt that the second needs: no second MySQL read at verify. */
export interface MfaChallenge {
  userId: string;
  username: string;
  email: string;
  /** The verified phone number (E.164), or "" when SMS is not usable. */
  phone: string;
  tokensValidAfterMs: number;
  /** The enabled methods, comma-separated. */
  methods: string;
  /** The sealed TOTP secret, or "" when TOTP is off. */
  sealedSecret: string;
  /** The recovery-code digests as stored (JSON), or "". */
  recoveryCodes: string;
}

const FIELDS: Record<keyof MfaChallenge, string> = {
  userId: "uid",
  username: "uname",
  email: "email",
  phone: "phone",
  tokensValidAfterMs: "tva",
  methods: "methods",
  sealedSecret: "secret",
  recoveryCodes: "codes",
};

/** Opens the challenge unless a lockout or a required captcha stands in the way (as a login). */
async function openChallenge(
  redis: Redis,
  tokenDigest: string,
  challenge: MfaChallenge,
  attempt: LoginAttempt,
  ttlMs: number,
  nowMs: number,
): Promise<LockoutReply> {
  const keys = [mfaKey(tokenDigest), lockoutKey(attempt.lock), ipFailuresKey(attempt.ipKey)];
  const fields = Object.entries(FIELDS).flatMap(([name, field]) => [field, String(challenge[name as keyof MfaChallenge])]);
  const args = [String(nowMs), attempt.captcha, ...lockoutArgs(attempt.policy), String(ttlMs), ...fields];
  return lockoutReply(await reachRedis(runScript<(string | number)[]>(redis, MFA_CHALLENGE, keys, args)));
}

/** The challenge, or null when it was spent, expired, or worn out by wrong answers. */
async function readChallenge(redis: Redis, tokenDigest: string): Promise<MfaChallenge | null> {
  // The client does not deserialize (redis.ts): HGETALL comes back as [field, value, ...].
  const reply: unknown = await reachRedis(redis.hgetall(mfaKey(tokenDigest)));
  const pairs = Array.isArray(reply) ? reply.map(String) : [];
  const hash = new Map(pairs.flatMap((name, index) => (index % 2 === 0 ? [[name, pairs[index + 1] ?? ""] as const] : [])));
  if (!hash.has(FIELDS.userId)) return null;
  const field = (name: keyof MfaChallenge) => hash.get(FIELDS[name]) ?? "";
  return {
    userId: field("userId"),
    username: field("username"),
    email: field("email"),
    phone: field("phone"),
    tokensValidAfterMs: Number(field("tokensValidAfterMs")) || 0,
    methods: field("methods"),
    sealedSecret: field("sealedSecret"),
    recoveryCodes: field("recoveryCodes"),
  };
}

export type AnswerReply = LockoutReply | { status: "gone" };

/** Records the answer: the right one spends the challenge and opens the session, in one script. */
async function answerChallenge(
  redis: Redis,
  tokenDigest: string,
  answer: {
    session: NewSession;
    /**
     * Checked already (TOTP, recovery code), or a sent code's digest for the script to compare,
     * with the phone number and address it counts for when sent to ("" for a method not usable).
     */
    outcome: { valid: boolean } | { codeDigest: string; phone: string; email: string };
    lock: Lockable;
    policy: LockoutPolicy;
    maxFailures: number;
  },
): Promise<AnswerReply> {
  const userId = answer.session.userId;
  const keys = [...sessionKeys(answer.session), mfaKey(tokenDigest), lockoutKey(answer.lock), otpKey(userId, "two-factor")];
  const outcome = "codeDigest" in answer.outcome ? "code" : answer.outcome.valid ? "ok" : "failed";
  const args = [
    ...sessionScriptArgs(answer.session),
    outcome,
    String(answer.maxFailures),
    ...lockoutArgs(answer.policy),
    ...("codeDigest" in answer.outcome ? [answer.outcome.codeDigest, answer.outcome.phone, answer.outcome.email] : ["", "", ""]),
  ];
  const reply = await reachRedis(runScript<(string | number)[]>(redis, MFA_ANSWER, keys, args));
  return reply[0] === "gone" ? { status: "gone" } : lockoutReply(reply);
}

/** Pending second factors, bound to this request's connection. */
export const mfaStore = (redis: Redis) => bindTo(redis, { open: openChallenge, read: readChallenge, answer: answerChallenge });
export type MfaStore = ReturnType<typeof mfaStore>;
