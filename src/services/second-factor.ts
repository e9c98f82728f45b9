// Logins of accounts with two-factor authentication on. The first factor (login-service) opens a
// challenge and answers {mfa_required, mfa_token, methods} with no tokens; verify answers the
// challenge with a TOTP code or a recovery code, and only then is a session created. The
// mfa_token lives 5 minutes, is spent by the right answer and worn out by 5 wrong ones, and each
// wrong answer also counts toward the account's code lockout.
import { base64url } from "jose";
import type { UserRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";
import { parseMethods, type TwoFactorMethod } from "../lib/two-factor.ts";
import type { LoginAttempt } from "../stores/login-store.ts";
import { lockoutPolicy, refuseWhenLocked } from "./abuse-guards.ts";
import { acceptTotp, spendRecoveryCode } from "./second-factor-proofs.ts";
import { prepareSession, type TokenPair } from "./token-pair.ts";

const CHALLENGE_TTL_MS = 5 * 60_000;
const WRONG_ANSWERS_PER_CHALLENGE = 5;

export interface SecondFactorRequired {
  mfa_required: true;
  mfa_token: string;
  methods: TwoFactorMethod[];
}

export type SecondFactorAnswer = { mfaToken: string } & ({ code: string } | { recoveryCode: string });

async function tokenDigest(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The first factor was right: a challenge instead of a session (the lockout gate as for a login). */
export async function challengeSecondFactor(
  deps: Pick<Deps, "clock" | "mfa" | "securityLog">,
  user: UserRow,
  attempt: LoginAttempt,
): Promise<SecondFactorRequired> {
  const token = base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = {
    userId: user.id,
    username: user.username,
    email: user.email,
    tokensValidAfterMs: user.tokensValidAfter?.getTime() ?? 0,
    methods: user.twoFactorMethods,
    sealedSecret: user.totpSecret ?? "",
    recoveryCodes: user.recoveryCodes ?? "",
  };
  const nowMs = deps.clock.now().getTime();
  refuseWhenLocked(deps, await deps.mfa.open(await tokenDigest(token), challenge, attempt, CHALLENGE_TTL_MS, nowMs), user.id);
  return { mfa_required: true, mfa_token: token, methods: parseMethods(user.twoFactorMethods) };
}

/** The second factor: one Redis read, one conditional MySQL write, one Redis script. */
export async function verifySecondFactor(
  deps: Pick<Deps, "background" | "client" | "clock" | "config" | "ids" | "mfa" | "securityLog" | "tokens" | "users">,
  answer: SecondFactorAnswer,
): Promise<TokenPair> {
  const digest = await tokenDigest(answer.mfaToken);
  const challenge = await deps.mfa.read(digest);
  if (!challenge) throw new AppError("MFA_TOKEN_INVALID");
  const userId = challenge.userId;
  const valid =
    "code" in answer
      ? await acceptTotp(deps, userId, challenge.sealedSecret, answer.code)
      : await spendRecoveryCode(deps, userId, challenge.recoveryCodes, answer.recoveryCode);
  const user = {
    id: userId,
    username: challenge.username,
    email: challenge.email,
    tokensValidAfter: challenge.tokensValidAfterMs ? new Date(challenge.tokensValidAfterMs) : null,
  };
  const session = prepareSession(deps, user);
  const reply = await deps.mfa.answer(digest, {
    session: session.record,
    valid,
    lock: { scope: "otp", subject: userId },
    policy: lockoutPolicy(deps.config),
    maxFailures: WRONG_ANSWERS_PER_CHALLENGE,
  });
  if (reply.status === "gone") throw new AppError("MFA_TOKEN_INVALID");
  if (reply.status !== "ok") deps.securityLog.record("two_factor_failed", userId);
  refuseWhenLocked(deps, reply, userId);
  if (reply.status !== "ok") throw new AppError("OTP_INVALID");
  const tokens = await session.sign();
  deps.securityLog.record("login_succeeded", userId);
  const loggedInAt = deps.clock.now();
  deps.background("recording the login", () => deps.users.recordLogin(userId, loggedInAt));
  return tokens;
}
