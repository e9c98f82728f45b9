// Logins waiting for their second factor, in Redis (see mfa-scripts.ts).
import type { Redis } from "@upstash/redis/cloudflare";
import { bindTo } from "./bind.ts";
import { type LockoutPolicy, type LockoutReply, lockoutArgs, lockoutReply } from "./lockout-store.ts";
import { MFA_ANSWER, MFA_OPEN, MFA_READ } from "./mfa-scripts.ts";
import { reachRedis, runScript } from "./redis.ts";
import { mfaKey, otpKey } from "./redis-keys.ts";
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
  /** The known device the password came from, or "" (a new one is made when the login completes). */
  deviceId: string;
  /** The WebAuthn challenge a passkey may answer (base64url), or "" when the account has none. */
  passkeyChallenge: string;
  /** The user's role, for the session's access tokens. */
  role: string;
  /** What guards the answers: the device's lockout, or the account's second-factor budget. */
  guardKind: "device" | "budget";
  /** The guard's Redis key. */
  guard: string;
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
  deviceId: "device",
  passkeyChallenge: "wa",
  role: "role",
  guardKind: "guard_kind",
  guard: "guard",
};

/** The challenge as name/value pairs, for the login script that stores it. */
export const mfaChallengeFields = (challenge: MfaChallenge): string[] =>
  Object.entries(FIELDS).flatMap(([name, field]) => [field, String(challenge[name as keyof MfaChallenge])]);

/** An answer counted in the challenge's guard before it is looked at (see mfa-scripts.ts). */
export interface Reservation {
  id: string;
  /** This reservation filled the guard: a wrong answer starts the wait. */
  filled: boolean;
}

/** 'filled': the reservation made by this read filled the guard (a wrong answer starts the wait). */
export type ReadReply = { status: "ready"; challenge: MfaChallenge; filled: boolean } | { status: "gone" } | LockoutReply;

/**
 * The challenge, unless it was spent, expired or worn out ('gone'), or its guard refuses answers
 * now ('locked': nothing of the answer has been looked at). With a reservation id, the answer to
 * come is counted in the guard now, and given back by a right answer.
 */
async function readChallenge(
  redis: Redis,
  tokenDigest: string,
  nowMs: number,
  policy: LockoutPolicy,
  reservationId: string | null,
): Promise<ReadReply> {
  const args = [String(nowMs), reservationId ?? "", ...lockoutArgs(policy)];
  const reply = await reachRedis(runScript<(string | number | string[])[]>(redis, MFA_READ, [mfaKey(tokenDigest)], args));
  if (reply[0] === "gone") return { status: "gone" };
  if (reply[0] !== "ok") return lockoutReply(reply as (string | number)[]);
  const pairs = Array.isArray(reply[1]) ? reply[1].map(String) : [];
  const hash = new Map(pairs.flatMap((name, index) => (index % 2 === 0 ? [[name, pairs[index + 1] ?? ""] as const] : [])));
  const field = (name: keyof MfaChallenge) => hash.get(FIELDS[name]) ?? "";
  return {
    status: "ready",
    filled: reply[2] === "filled",
    challenge: {
      userId: field("userId"),
      username: field("username"),
      email: field("email"),
      phone: field("phone"),
      tokensValidAfterMs: Number(field("tokensValidAfterMs")) || 0,
      methods: field("methods"),
      sealedSecret: field("sealedSecret"),
      recoveryCodes: field("recoveryCodes"),
      deviceId: field("deviceId"),
      passkeyChallenge: field("passkeyChallenge"),
      role: field("role") || "user",
      guardKind: field("guardKind") === "device" ? "device" : "budget",
      guard: field("guard"),
    },
  };
}

export type AnswerReply = LockoutReply | { status: "gone" };

/** Records the answer: the right one spends the challenge and opens the session, in one script. */
async function answerChallenge(
  redis: Redis,
  tokenDigest: string,
  answer: {
    session: NewSession;
    challenge: MfaChallenge;
    /**
     * Checked already (TOTP, recovery code), or a sent code's digest for the script to compare,
     * with the phone number and address it counts for when sent to ("" for a method not usable).
     */
    outcome: { valid: boolean } | { codeDigest: string; phone: string; email: string };
    policy: LockoutPolicy;
    maxFailures: number;
    reservation: Reservation;
  },
): Promise<AnswerReply> {
  const userId = answer.session.userId;
  const keys = [...sessionKeys(answer.session), mfaKey(tokenDigest), answer.challenge.guard, otpKey(userId, "two-factor")];
  const outcome = "codeDigest" in answer.outcome ? "code" : answer.outcome.valid ? "ok" : "failed";
  const args = [
    ...sessionScriptArgs(answer.session),
    outcome,
    String(answer.maxFailures),
    ...lockoutArgs(answer.policy),
    ...("codeDigest" in answer.outcome ? [answer.outcome.codeDigest, answer.outcome.phone, answer.outcome.email] : ["", "", ""]),
    answer.challenge.guardKind,
    answer.reservation.id,
    answer.reservation.filled ? "filled" : "",
    answer.session.device,
  ];
  const reply = await reachRedis(runScript<(string | number)[]>(redis, MFA_ANSWER, keys, args));
  return reply[0] === "gone" ? { status: "gone" } : lockoutReply(reply);
}

/** Stores a challenge whose first factor was not a password (the password login's script stores its own). */
async function openChallenge(redis: Redis, stored: { tokenDigest: string; fields: MfaChallenge; ttlMs: number }): Promise<void> {
  const args = [String(stored.ttlMs), ...mfaChallengeFields(stored.fields)];
  await reachRedis(runScript(redis, MFA_OPEN, [mfaKey(stored.tokenDigest)], args));
}

/**
 * Gives back a reservation whose answer was never looked at to the end (an outage). A budget's
 * place is one member; a device lockout's count is left as it is (it forgets within its window).
 */
async function releaseReservation(redis: Redis, challenge: Pick<MfaChallenge, "guardKind" | "guard">, reservationId: string) {
  if (challenge.guardKind === "budget") await reachRedis(redis.zrem(challenge.guard, reservationId));
}

/** Pending second factors, bound to this request's connection. */
export const mfaStore = (redis: Redis) =>
  bindTo(redis, { open: openChallenge, read: readChallenge, answer: answerChallenge, release: releaseReservation });
export type MfaStore = ReturnType<typeof mfaStore>;
