// Known devices (OWASP's device cookies): a client that completed a sign-in gets a device token,
// and its later failed sign-ins count against that device's own lockout instead of the budget
// every client without one shares. Strangers can use up that shared budget; they cannot touch a
// device's. Tokens are verified without storage (lib/device-token.ts): the user's row gives what
// a token is checked against, so recognising a device costs no round trip.
import type { Deps } from "../deps.ts";
import { claimedDeviceId, newDeviceId, signDeviceToken, verifyDeviceToken } from "../lib/device-token.ts";
import type { Lockable } from "../stores/lockout-store.ts";
import type { LoginGuard } from "../stores/login-store.ts";
import { lockoutKey } from "../stores/redis-keys.ts";

/** How long a device stays known without signing in again (each sign-in issues a fresh token). */
export const DEVICE_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

// Keyed with the signing key's secret part (HKDF-derived inside): secret, always configured.
const deviceSecret = (deps: Pick<Deps, "config">) => `device:${deps.config.JWT_PRIVATE_KEY.d}`;

/** The device id when `token` is a live device token of this user; null otherwise (no budget of its own). */
export function recognizeDevice(
  deps: Pick<Deps, "clock" | "config">,
  user: { id: string; tokensValidAfter: Date | null } | null,
  token: string | undefined,
): Promise<string | null> {
  if (!user || !token) return Promise.resolve(null);
  return verifyDeviceToken(deviceSecret(deps), token, {
    userId: user.id,
    nowMs: deps.clock.now().getTime(),
    ttlMs: DEVICE_TOKEN_TTL_MS,
    validAfterMs: user.tokensValidAfter?.getTime() ?? 0,
  });
}

// By device id alone (random, issued to one user's device): the lockout can then be read before
// the account is known, and a token counts only once it is verified for that account.
export const deviceLock = (deviceId: string): Lockable => ({ scope: "device", subject: deviceId });

/** The lockout of the device a client's token names, unverified (see claimedDeviceId). */
export function claimedDeviceLock(token: string | undefined): Lockable | null {
  const deviceId = claimedDeviceId(token);
  return deviceId ? deviceLock(deviceId) : null;
}

/** A known device's own lockout, or the budget of the name typed (for every other client alike). */
export function loginGuard(nameBudget: Lockable, userId: string | undefined, deviceId: string | null): LoginGuard {
  if (userId && deviceId) return { kind: "device", lock: deviceLock(deviceId) };
  return { kind: "budget", lock: nameBudget };
}

/** What guards the second factor of a login: the same device, or the account's second-factor budget. */
export function secondFactorGuard(userId: string, deviceId: string | null) {
  if (deviceId) return { guardKind: "device" as const, guard: lockoutKey(deviceLock(deviceId)) };
  return { guardKind: "budget" as const, guard: lockoutKey({ scope: "mfa", subject: userId }) };
}

/** A fresh token after a completed sign-in; a known device keeps its id (and its lockout state). */
export function issueDeviceToken(deps: Pick<Deps, "clock" | "config">, userId: string, deviceId: string | null): Promise<string> {
  return signDeviceToken(deviceSecret(deps), userId, deviceId || newDeviceId(), deps.clock.now().getTime());
}
