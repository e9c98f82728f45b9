// The proofs of a second factor, shared by login (verify) and by the settings that need one
// (disable, new recovery codes): a TOTP code, accepted once per step, or a recovery code, spent
// once. Both end in a conditional MySQL UPDATE, which is what makes them single use under races.
import type { Config } from "../config.ts";
import type { DeliveryDeps, Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";
import { log } from "../lib/log.ts";
import { recoveryCodeDigest } from "../lib/recovery-codes.ts";
import { createSecretBox, type SecretBox } from "../lib/secret-box.ts";
import { verifyTotp } from "../lib/totp.ts";
import { sendEmail, sendSms } from "./delivery.ts";
import { codeEmail, codeSms } from "./messages.ts";
import { issueOtp, otpMinutes } from "./otp-service.ts";

const boxes = new WeakMap<Config, SecretBox>();

/** The box TOTP secrets are sealed in; CONFIG_ERROR when TOTP_ENCRYPTION_KEY is not set. */
export function secretBox(config: Config): SecretBox {
  let box = boxes.get(config);
  if (!box) {
    if (!config.TOTP_ENCRYPTION_KEY) {
      log.error("config_error", { variable: "TOTP_ENCRYPTION_KEY", problem: "required for two-factor authentication" });
      throw new AppError("CONFIG_ERROR");
    }
    box = createSecretBox(config.TOTP_ENCRYPTION_KEY, config.TOTP_PREVIOUS_ENCRYPTION_KEYS);
    boxes.set(config, box);
  }
  return box;
}

/**
 * A sealed TOTP secret of `userId`'s row opened, or null when it does not open for that row: sealed
 * under a key that is no longer configured, damaged, or copied from another user's row. That is
 * logged as an error (the user, the column, the key id; never the value) and the caller refuses
 * cleanly instead of answering 500.
 */
export async function openSealedSecret(
  deps: Pick<Deps, "config" | "log">,
  userId: string,
  sealed: string,
  column: "totp_secret" | "totp_pending_secret",
): Promise<{ plain: string; stale: boolean } | null> {
  const box = secretBox(deps.config);
  try {
    return await box.open(sealed, userId);
  } catch (error) {
    const keyId = /^v1\.([0-9a-f]{8})\./.exec(sealed)?.[1] ?? "unknown";
    deps.log.error("totp_secret_unreadable", { user_id: userId, column, key_id: keyId, error });
    return null;
  }
}

/**
 * A TOTP code against the sealed secret; true only for the one request that records its step.
 * A secret that does not open accepts no code (the proof is refused as a wrong code would be).
 */
export async function acceptTotp(
  deps: Pick<Deps, "clock" | "config" | "log" | "users">,
  userId: string,
  sealedSecret: string,
  code: string,
): Promise<boolean> {
  if (!sealedSecret) return false;
  const box = secretBox(deps.config);
  const opened = await openSealedSecret(deps, userId, sealedSecret, "totp_secret");
  if (!opened) return false;
  const { plain, stale } = opened;
  const step = verifyTotp(plain, code, deps.clock.now().getTime());
  if (step === null) return false;
  const resealed = stale ? await box.seal(plain, userId) : undefined;
  return deps.users.acceptTotpStep(userId, sealedSecret, step, resealed);
}

/** Spends a recovery code from the stored list (JSON of digests); false when it is not there. */
export async function spendRecoveryCode(
  deps: Pick<Deps, "users">,
  userId: string,
  storedCodes: string | null,
  code: string,
): Promise<boolean> {
  const digests = parseDigests(storedCodes);
  const digest = await recoveryCodeDigest(code);
  if (!storedCodes || !digests.includes(digest)) return false;
  const remaining = JSON.stringify(digests.filter((candidate) => candidate !== digest));
  return deps.users.updateTwoFactorIf(userId, { recoveryCodes: storedCodes }, { recoveryCodes: remaining });
}

function parseDigests(stored: string | null): string[] {
  try {
    const list: unknown = JSON.parse(stored || "[]");
    return Array.isArray(list) ? list.filter((item): item is string => typeof item === "string") : [];
  } catch {
    return [];
  }
}

export const recoveryDigests = async (codes: string[]): Promise<string> =>
  JSON.stringify(await Promise.all(codes.map(recoveryCodeDigest)));

/** A two-factor code by SMS or email: the OTP service's code, purpose `two-factor`. */
export async function sendTwoFactorCode(
  deps: DeliveryDeps & Pick<Deps, "clock" | "otps">,
  userId: string,
  method: "sms" | "email",
  target: string,
): Promise<void> {
  const code = await issueOtp(deps, userId, "two-factor", target);
  const app = deps.config.APP_NAME;
  if (method === "sms") sendSms(deps, "two-factor code", target, codeSms(app, code, otpMinutes(deps), "two-factor"));
  else sendEmail(deps, "two-factor code", codeEmail(app, "two-factor", target, code, otpMinutes(deps)));
}
