// The one-time code a sign-in-with flow hands the app (in its redirect URL): what the callback
// decided (who signs in, or which identity to link to whom), sealed (AES-256-GCM, a compact JWE)
// under a key derived from the token signing key (derived-keys.ts), valid 60 seconds. Sealed rather than stored, the
// callback needs no Redis write of its own and the URL reveals nothing (no user id, no address).
// Single use is the exchange's: its one script spends the code's id.
import { base64url, EncryptJWT, jwtDecrypt } from "jose";

export const FLOW_CODE_TTL_SECONDS = 60;

export interface LinkedIdentityClaims {
  provider: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

export type FlowCodeClaims =
  | { kind: "sign-in"; userId: string; appChallenge: string; identityId: string }
  | { kind: "link"; userId: string; appChallenge: string; identity: LinkedIdentityClaims };

export type OpenedFlowCode = FlowCodeClaims & { id: string; expiresAtMs: number };

export { flowCodeKey } from "./derived-keys.ts";

export async function sealFlowCode(key: Uint8Array, claims: FlowCodeClaims, now: Date): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new EncryptJWT({ ...claims })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setJti(base64url.encode(crypto.getRandomValues(new Uint8Array(16))))
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + FLOW_CODE_TTL_SECONDS)
    .encrypt(key);
}

/** The code's claims, or null when it is not one of ours, was tampered with, or has expired. */
export async function openFlowCode(key: Uint8Array, code: string, now: Date): Promise<OpenedFlowCode | null> {
  if (code.length > 4096) return null;
  try {
    const { payload } = await jwtDecrypt(code, key, {
      currentDate: now,
      keyManagementAlgorithms: ["dir"],
      contentEncryptionAlgorithms: ["A256GCM"],
      requiredClaims: ["jti", "exp"],
    });
    const kind = payload.kind;
    if ((kind !== "sign-in" && kind !== "link") || typeof payload.userId !== "string") return null;
    return { ...(payload as unknown as FlowCodeClaims), id: String(payload.jti), expiresAtMs: Number(payload.exp) * 1000 };
  } catch {
    return null;
  }
}
