// Logins of accounts with two-factor authentication on. The first factor (login-service) opens a
// challenge and answers {mfa_required, mfa_token, methods} with no tokens; verify answers the
// challenge with a TOTP code, a code it sent by SMS or email on request, or a recovery code, and
// only then is a session created. The
// mfa_token lives 5 minutes, is spent by the right answer and worn out by 5 wrong ones, and each
// wrong answer also counts toward its guard: the device's lockout when the password came from a
// known device, else the account's second-factor budget (20 an hour).

import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import { base64url } from "jose";
import type { UserRow } from "../db/schema.ts";
import type { DeliveryDeps, Deps } from "../deps.ts";
import { AppError, validationError } from "../lib/errors.ts";
import { digestHex } from "../lib/hex.ts";
import { parseMethods, type TwoFactorMethod } from "../lib/two-factor.ts";
import type { MfaChallenge } from "../stores/mfa-store.ts";
import { refuseWhenLocked, secondFactorPolicy } from "./abuse-guards.ts";
import { issueDeviceToken, secondFactorGuard } from "./known-devices.ts";
import type { SignIn } from "./login-service.ts";
import { recordSignIn, type SignInRecordDeps } from "./new-device.ts";
import { codeDigest } from "./otp-service.ts";
import { checkAssertion, namedPasskey } from "./passkey-assertion.ts";
import { answeredChallenge, relyingParty } from "./passkey-rules.ts";
import { acceptTotp, sendTwoFactorCode, spendRecoveryCode } from "./second-factor-proofs.ts";
import { prepareSession, type TokenPair } from "./token-pair.ts";

const CHALLENGE_TTL_MS = 5 * 60_000;
const WRONG_ANSWERS_PER_CHALLENGE = 5;

/** What a login may answer its second step with: an enabled method, or a passkey the account has. */
export type LoginMethod = TwoFactorMethod | "passkey";

/** What navigator.credentials.get() needs to answer the second step with a passkey. */
export interface PasskeyRequestOptions {
  challenge: string;
  rpId: string;
  timeout: number;
  userVerification: "required";
}

export interface SecondFactorRequired {
  mfa_required: true;
  mfa_token: string;
  methods: LoginMethod[];
  /** With "passkey" among the methods. */
  passkey_options?: PasskeyRequestOptions;
}

export type SecondFactorAnswer = { mfaToken: string } & (
  | { code: string }
  | { recoveryCode: string }
  | { passkey: AuthenticationResponseJSON }
);

/**
 * The enabled methods this login can use now: offered by the operator (TWO_FACTOR_METHODS), and
 * for SMS and email a number or address that is still verified.
 */
export function usableMethods(deps: Pick<Deps, "config">, user: UserRow): TwoFactorMethod[] {
  return parseMethods(user.twoFactorMethods).filter(
    (method) =>
      deps.config.TWO_FACTOR_METHODS.includes(method) &&
      (method !== "sms" || (user.isPhoneNumberVerified && Boolean(user.phoneNumber))) &&
      (method !== "email" || user.isEmailVerified),
  );
}

const tokenDigest = (token: string): Promise<string> => digestHex("SHA-256", token);

/**
 * The challenge a login of a 2FA account stores when its password is right (the login's one
 * script decides), prepared before that is known. Its answers are guarded by the device the
 * password came from, or by the account's second-factor budget.
 */
export async function prepareChallenge(
  deps: Pick<Deps, "config">,
  user: UserRow & { hasPasskey?: boolean },
  deviceId: string | null,
  /** A method that was the first factor cannot be the second too. */
  firstFactor?: TwoFactorMethod,
) {
  const methods = usableMethods(deps, user).filter((method) => method !== firstFactor);
  const token = base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
  // A passkey answers a WebAuthn challenge made now and kept with the login's challenge.
  const passkeyChallenge = user.hasPasskey ? base64url.encode(crypto.getRandomValues(new Uint8Array(32))) : "";
  const fields: MfaChallenge = {
    userId: user.id,
    username: user.username,
    email: user.email,
    phone: methods.includes("sms") ? (user.phoneNumber ?? "") : "",
    tokensValidAfterMs: user.tokensValidAfter?.getTime() ?? 0,
    methods: methods.join(","),
    sealedSecret: user.totpSecret ?? "",
    recoveryCodes: user.recoveryCodes ?? "",
    deviceId: deviceId ?? "",
    passkeyChallenge,
    role: user.role,
    ...secondFactorGuard(user.id, deviceId),
  };
  const answer: SecondFactorRequired = passkeyChallenge
    ? {
        mfa_required: true,
        mfa_token: token,
        methods: [...methods, "passkey"],
        passkey_options: {
          challenge: passkeyChallenge,
          rpId: relyingParty(deps.config).id,
          timeout: CHALLENGE_TTL_MS,
          userVerification: "required",
        },
      }
    : { mfa_required: true, mfa_token: token, methods };
  return { stored: { tokenDigest: await tokenDigest(token), fields, ttlMs: CHALLENGE_TTL_MS }, answer };
}

/**
 * The challenge, or 429 while its guard refuses answers: then nothing of the answer is looked at.
 * With a reservation id, the answer about to be checked is counted in the guard already.
 */
async function openChallenge(
  deps: Pick<Deps, "clock" | "config" | "mfa" | "securityLog">,
  mfaToken: string,
  reservationId: string | null,
) {
  const digest = await tokenDigest(mfaToken);
  const read = await deps.mfa.read(digest, deps.clock.now().getTime(), secondFactorPolicy(deps.config), reservationId);
  if (read.status === "gone") throw new AppError("MFA_TOKEN_INVALID");
  if (read.status !== "ready") {
    refuseWhenLocked(deps, read, undefined);
    throw new Error(`unexpected challenge reply: ${read.status}`);
  }
  return { digest, challenge: read.challenge, filled: read.filled, methods: parseMethods(read.challenge.methods) };
}

/** Sends a sign-in code by SMS or email (an ordinary one-time code: 60 s resend cooldown). */
export async function sendSecondFactorCode(
  deps: DeliveryDeps & Pick<Deps, "clock" | "mfa" | "otps" | "securityLog">,
  mfaToken: string,
  method: "sms" | "email",
): Promise<void> {
  const { challenge, methods } = await openChallenge(deps, mfaToken, null);
  if (!methods.includes(method)) throw validationError({ method: [`${method} is not a second factor of this account.`] });
  const target = method === "sms" ? challenge.phone : challenge.email;
  await sendTwoFactorCode(deps, challenge.userId, method, target);
}

/**
 * A 6-digit code is tried as TOTP first (its MySQL write happens only for a right code), then,
 * when SMS or email is a method, left for the answer script to compare with the code it sent.
 */
async function checkAnswer(
  deps: Pick<Deps, "background" | "clock" | "config" | "log" | "passkeys" | "securityLog" | "users">,
  challenge: MfaChallenge,
  methods: TwoFactorMethod[],
  answer: SecondFactorAnswer,
): Promise<{ valid: boolean } | { codeDigest: string; phone: string; email: string }> {
  if ("passkey" in answer) return { valid: await acceptPasskey(deps, challenge, answer.passkey) };
  if ("recoveryCode" in answer)
    return { valid: await spendRecoveryCode(deps, challenge.userId, challenge.recoveryCodes, answer.recoveryCode) };
  if (methods.includes("totp") && (await acceptTotp(deps, challenge.userId, challenge.sealedSecret, answer.code)))
    return { valid: true };
  if (methods.includes("sms") || methods.includes("email")) {
    return {
      codeDigest: await codeDigest(deps, "two-factor", challenge.userId, answer.code),
      phone: methods.includes("sms") ? challenge.phone : "",
      email: methods.includes("email") ? challenge.email : "",
    };
  }
  return { valid: false };
}

/**
 * A passkey of the account, answering the WebAuthn challenge made with this login. Its new sign
 * count is written after the response; a count gone backwards is recorded as a cloned key.
 */
async function acceptPasskey(
  deps: Pick<Deps, "background" | "clock" | "config" | "log" | "passkeys" | "securityLog">,
  challenge: MfaChallenge,
  response: AuthenticationResponseJSON,
): Promise<boolean> {
  if (!challenge.passkeyChallenge || answeredChallenge(response.response.clientDataJSON) !== challenge.passkeyChallenge)
    return false;
  const found = await namedPasskey(deps, response);
  if (!found || found.passkey.userId !== challenge.userId) return false;
  const check = await checkAssertion(deps, found.passkey, response, challenge.passkeyChallenge);
  if (check.status === "cloned") deps.securityLog.record("passkey_clone_suspected", challenge.userId);
  if (check.status !== "valid") return false;
  const at = deps.clock.now();
  deps.background("recording the passkey's use", () => deps.passkeys.recordUse(found.passkey.id, check.newCount, at));
  return true;
}

/**
 * The second factor: one Redis script (the challenge, if its guard admits an answer, which counts
 * this answer in the guard before it is looked at), for TOTP or a recovery code one conditional
 * MySQL write, one Redis script (the answer: a right one gives its place in the guard back).
 */
export async function verifySecondFactor(
  deps: SignInRecordDeps &
    Pick<
      Deps,
      "background" | "client" | "clock" | "config" | "ids" | "log" | "mfa" | "passkeys" | "securityLog" | "tokens" | "users"
    >,
  answer: SecondFactorAnswer,
): Promise<SignIn<TokenPair>> {
  const reservationId = deps.ids.uuid();
  const { digest, challenge, filled, methods } = await openChallenge(deps, answer.mfaToken, reservationId);
  const userId = challenge.userId;
  const outcome = await checkAnswer(deps, challenge, methods, answer).catch(async (error: unknown) => {
    // Not looked at to the end (MySQL failed): the answer was no wrong guess, so its place goes back.
    await deps.mfa.release(challenge, reservationId).catch(() => undefined);
    throw error;
  });
  const user = {
    id: userId,
    username: challenge.username,
    email: challenge.email,
    tokensValidAfter: challenge.tokensValidAfterMs ? new Date(challenge.tokensValidAfterMs) : null,
    role: challenge.role,
  };
  const session = prepareSession(deps, user);
  const reply = await deps.mfa.answer(digest, {
    session: session.record,
    challenge,
    outcome,
    policy: secondFactorPolicy(deps.config),
    maxFailures: WRONG_ANSWERS_PER_CHALLENGE,
    reservation: { id: reservationId, filled },
  });
  if (reply.status === "gone") throw new AppError("MFA_TOKEN_INVALID");
  if (reply.status === "failed" || (reply.status === "locked" && reply.started))
    deps.securityLog.record("two_factor_failed", userId);
  refuseWhenLocked(deps, reply, userId);
  if (reply.status !== "ok") throw new AppError("OTP_INVALID");
  const [tokens, deviceToken] = await Promise.all([session.sign(), issueDeviceToken(deps, userId, challenge.deviceId || null)]);
  recordSignIn(deps, user, reply.newDevice === true);
  const loggedInAt = deps.clock.now();
  deps.background("recording the login", () => deps.users.recordLogin(userId, loggedInAt));
  return { result: tokens, deviceToken };
}
