// New-device sign-in notices (OWASP ASVS 6.3.4/6.3.6): a sign-in from a device and network this
// user has not signed in from in 90 days mails them a notice (when, where, how to secure the
// account), records a new_device security event and flags the session.created webhook. Whether it
// is new is decided inside the sign-in's own Redis script (CREATE_SESSION_STEPS): no extra round
// trip. A user's first sign-in ever is not "new" (there is nothing to compare with).
import type { DeliveryDeps, Deps } from "../deps.ts";
import { deviceDigest, deviceFamily } from "../lib/device-fingerprint.ts";
import { sendEmail } from "./delivery.ts";
import { newDeviceEmail } from "./messages.ts";

/** This request's device digest for the session scripts; "" when notices are off. */
export function deviceOfRequest(deps: Pick<Deps, "client" | "config">): string {
  if (deps.config.NEW_DEVICE_NOTICES !== "on") return "";
  const { userAgent, asn, country } = deps.client;
  return deviceDigest(deviceFamily(userAgent), asn, country);
}

/** What every sign-in path records once its session exists. */
export type SignInRecordDeps = DeliveryDeps & Pick<Deps, "client" | "clock" | "securityLog">;

export function recordSignIn(deps: SignInRecordDeps, user: { id: string; email: string }, newDevice: boolean): void {
  if (newDevice) {
    deps.securityLog.record("new_device", user.id);
    const { userAgent, asn, country } = deps.client;
    sendEmail(
      deps,
      "new device notice",
      newDeviceEmail(deps.config.APP_NAME, user.email, {
        at: deps.clock.now(),
        device: deviceFamily(userAgent),
        country,
        asn,
      }),
    );
  }
  deps.securityLog.record("login_succeeded", user.id, undefined, newDevice ? { new_device: true } : undefined);
}
