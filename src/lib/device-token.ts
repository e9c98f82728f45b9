// Device tokens: what a client that signed in before shows so that its failed sign-ins count
// against its own budget, not against the budget strangers share (docs/lockout.md). A token is
//   d1.<device id>.<issued at, ms>.<HMAC-SHA256 over user id, device id and issued at>
// verified without storage: the MAC binds it to one user (another user's token is no token at
// all), the issue time makes it expire, and comparing that time with the user's
// tokens_valid_after kills it on logout-all, password change or reset, like every other token.
import { base64url } from "jose";

const VERSION = "d1";
const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/** The MAC key, derived with HKDF from a secret the service already has (its signing key's secret part). */
function macKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode("device-token v1") },
          material,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign", "verify"],
        ),
      );
    keys.set(secret, key);
  }
  return key;
}

const signed = (userId: string, deviceId: string, issuedAtMs: number) =>
  encoder.encode(`${VERSION}\u0000${userId}\u0000${deviceId}\u0000${issuedAtMs}`);

/** A new token for (user, device); `deviceId` is kept when the client already had one. */
export async function signDeviceToken(secret: string, userId: string, deviceId: string, issuedAtMs: number): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await macKey(secret), signed(userId, deviceId, issuedAtMs));
  return [VERSION, deviceId, String(issuedAtMs), base64url.encode(new Uint8Array(mac))].join(".");
}

export const newDeviceId = (): string => base64url.encode(crypto.getRandomValues(new Uint8Array(16)));

export interface DeviceCheck {
  userId: string;
  nowMs: number;
  ttlMs: number;
  /** The user's tokens_valid_after (ms, 0 when unset): tokens issued before it are dead. */
  validAfterMs: number;
}

/**
 * The device id a token names, unchecked: enough to read that device's lockout before the
 * account is known; it counts for nothing until verifyDeviceToken accepts the token.
 */
export function claimedDeviceId(token: string | undefined): string | null {
  if (!token || token.length > 200) return null;
  const [version, deviceId] = token.split(".");
  return version === VERSION && deviceId && /^[A-Za-z0-9_-]{1,64}$/.test(deviceId) ? deviceId : null;
}

/** The device id when `token` is a live token of this user, else null (malformed, forged, another user's, expired, revoked). */
export async function verifyDeviceToken(secret: string, token: string | undefined, check: DeviceCheck): Promise<string | null> {
  if (!token || token.length > 200) return null;
  const [version, deviceId, issued, mac, ...rest] = token.split(".");
  if (version !== VERSION || !deviceId || !issued || !mac || rest.length > 0 || !/^\d{1,15}$/.test(issued)) return null;
  const issuedAtMs = Number(issued);
  let macBytes: Uint8Array;
  try {
    macBytes = base64url.decode(mac);
  } catch {
    return null;
  }
  const valid = await crypto.subtle.verify("HMAC", await macKey(secret), macBytes, signed(check.userId, deviceId, issuedAtMs));
  if (!valid) return null;
  // A little clock skew between edge locations is fine; a token from the future is not.
  if (issuedAtMs > check.nowMs + 60_000 || check.nowMs - issuedAtMs > check.ttlMs) return null;
  if (issuedAtMs < check.validAfterMs) return null;
  return deviceId;
}
