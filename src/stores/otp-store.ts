// One-time codes in Redis; each call is one atomic script, one round trip.
import type { Redis } from "@upstash/redis/cloudflare";
import type { AccessRef } from "../lib/access.ts";
import type { OtpPurpose } from "../lib/otp.ts";
import { bindTo } from "./bind.ts";
import { type CaptchaState, type Lockable, type LockoutPolicy, lockoutArgs, lockoutReply } from "./lockout-store.ts";
import { CHECK_OTP, ISSUE_OTP, KEEP_EMAIL_UNDO, READ_EMAIL_UNDO, RESTORE_OTP } from "./otp-scripts.ts";
import { reachRedis, runScript } from "./redis.ts";
import {
  deniedAccessKey,
  emailHoldKey,
  emailUndoKey,
  familyKey,
  lockoutKey,
  otpKey,
  otpSendsKey,
  validAfterKey,
} from "./redis-keys.ts";

export type IssueResult = { status: "ok" } | { status: "cooldown"; retryAfterMs: number };

export async function storeOtp(
  redis: Redis,
  code: { subject: string; purpose: OtpPurpose; digest: string; target: string },
  timing: { nowMs: number; ttlMs: number; cooldownMs: number; sendsPerHour?: number },
): Promise<IssueResult> {
  const reply = await reachRedis(
    runScript<[string, number]>(
      redis,
      ISSUE_OTP,
      [otpKey(code.subject, code.purpose), otpSendsKey(code.subject, code.purpose)],
      [
        code.digest,
        String(timing.nowMs),
        String(timing.ttlMs),
        String(timing.cooldownMs),
        code.target,
        String(timing.sendsPerHour ?? 0),
      ],
    ),
  );
  return reply[0] === "cooldown" ? { status: "cooldown", retryAfterMs: Number(reply[1]) } : { status: "ok" };
}

export type CheckMode = "check" | "consume" | "issue-token" | "consume-token";
/** A consumed code as it was in Redis, to give back when the write it was spent for failed. */
export interface SpentCode {
  subject: string;
  purpose: OtpPurpose;
  fields: string[];
  ttlMs: number;
}

export type CheckResult =
  | { status: "ok"; target: string; spent?: SpentCode }
  | { status: "invalid" | "token-revoked" }
  | { status: "locked"; retryAfterMs: number; started: boolean };

export interface CheckRequest {
  subject: string;
  purpose: OtpPurpose;
  digest: string;
  mode: CheckMode;
  nowMs: number;
  /** Wrong tries one code allows. */
  maxFailures: number;
  /** Whose failures lock, and how; none for the mailbox path (password reset). */
  lock: Lockable | null;
  lockout: LockoutPolicy;
  captcha: CaptchaState;
  token?: { digest: string; ttlMs: number };
  /** The caller's access token, when the route folds its revocation check into this script. */
  access?: AccessRef;
}

export async function checkOtp(redis: Redis, request: CheckRequest): Promise<CheckResult> {
  const { subject, purpose } = request;
  const keys = [
    otpKey(subject, purpose),
    lockoutKey(request.lock ?? { scope: "otp", subject: "-" }),
    deniedAccessKey(request.access?.jti ?? "-"),
    validAfterKey(request.access?.userId ?? subject),
    familyKey(request.access?.sessionId ?? "-"),
  ];
  const reply = await reachRedis(
    runScript<(string | number | string[])[]>(redis, CHECK_OTP, keys, [
      request.digest,
      String(request.nowMs),
      String(request.maxFailures),
      request.mode,
      request.token?.digest ?? "",
      String(request.token?.ttlMs ?? 0),
      request.access ? String(request.access.issuedAtMs) : "",
      request.captcha,
      ...lockoutArgs(request.lockout),
      request.lock ? "lock" : "none",
      request.access?.userId ?? "",
    ]),
  );
  if (reply[0] === "ok") {
    const spent = Array.isArray(reply[2])
      ? { subject, purpose, fields: reply[2].map(String), ttlMs: Number(reply[3]) }
      : undefined;
    return { status: "ok", target: String(reply[1] ?? ""), spent };
  }
  if (reply[0] === "token-revoked" || reply[0] === "invalid") return { status: reply[0] };
  const locked = lockoutReply(reply as (string | number)[]);
  if (locked.status !== "locked") throw new Error(`unexpected code check reply: ${String(reply[0]).slice(0, 40)}`);
  return locked;
}

/** Puts a consumed code back (see RESTORE_OTP); false when a newer code took its place or its time ran out. */
export async function restoreOtp(redis: Redis, spent: SpentCode): Promise<boolean> {
  const args = [String(spent.ttlMs), ...spent.fields];
  return Number(await reachRedis(runScript(redis, RESTORE_OTP, [otpKey(spent.subject, spent.purpose)], args))) === 1;
}

export interface EmailUndo {
  /** Digest of the undo token (the token itself is only in the message to the old address). */
  digest: string;
  oldEmail: string;
  newEmail: string;
}

/** Keeps the undo of an email change unless one is pending (then false: the pending one stays). */
export async function keepEmailUndo(
  redis: Redis,
  userId: string,
  undo: EmailUndo & { oldAddressDigest: string },
  ttlMs: number,
): Promise<boolean> {
  const keys = [emailUndoKey(userId), emailHoldKey(undo.oldAddressDigest)];
  const args = [undo.digest, undo.oldEmail, undo.newEmail, String(ttlMs), userId];
  return Number(await reachRedis(runScript(redis, KEEP_EMAIL_UNDO, keys, args))) === 1;
}

/** The account an address is held for (an email change's undo may give it back), or null. */
export async function emailHolder(redis: Redis, addressDigest: string): Promise<string | null> {
  return reachRedis(redis.get<string>(emailHoldKey(addressDigest)));
}

/** The undo whose token has this digest (taken: it works once; or only peeked at); null when none matches. */
export async function readEmailUndo(
  redis: Redis,
  userId: string,
  digest: string,
  mode: "take" | "peek",
): Promise<{ oldEmail: string; newEmail: string } | null> {
  const reply = await reachRedis(runScript<string[]>(redis, READ_EMAIL_UNDO, [emailUndoKey(userId)], [digest, mode]));
  if (!Array.isArray(reply) || reply.length !== 2) return null;
  return { oldEmail: String(reply[0]), newEmail: String(reply[1]) };
}

/** One-time codes, bound to this request's connection. */
export const otpStore = (redis: Redis) =>
  bindTo(redis, { store: storeOtp, check: checkOtp, restore: restoreOtp, keepEmailUndo, readEmailUndo, emailHolder });
export type OtpStore = ReturnType<typeof otpStore>;
