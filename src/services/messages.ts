// What the service says by mail and SMS. Plain text plus minimal HTML; the only secrets a message
// ever carries are a one-time code and, to the old address of an email change, its undo token.
import type { EmailMessage } from "../delivery/ports.ts";
import type { OtpPurpose } from "../lib/otp.ts";

const escapeHtml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function email(to: string, subject: string, paragraphs: string[]): EmailMessage {
  return {
    to,
    subject,
    text: `${paragraphs.join("\n\n")}\n`,
    html: `<!doctype html><html><body>${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join("")}</body></html>`,
  };
}

type EmailedPurpose = Exclude<OtpPurpose, "phone-verify">;

const CODE_SUBJECTS: Record<EmailedPurpose, (app: string) => string> = {
  "email-verify": (app) => `Verify your email address for ${app}`,
  "password-reset": (app) => `Your ${app} password reset code`,
  "email-change": (app) => `Confirm your new email address for ${app}`,
  "two-factor": (app) => `Your ${app} sign-in code`,
  "sign-in": (app) => `Your ${app} sign-in code`,
};

const CODE_REASONS: Record<EmailedPurpose, string> = {
  "email-verify": "to verify your email address",
  "password-reset": "to reset your password",
  "email-change": "to make this your account's email address",
  "two-factor": "to confirm it is you (two-factor authentication)",
  "sign-in": "to sign in without a password",
};

export function codeEmail(
  app: string,
  purpose: EmailedPurpose,
  to: string,
  code: string,
  minutes: number,
  link?: string,
): EmailMessage {
  return email(to, CODE_SUBJECTS[purpose](app), [
    `Your ${app} code ${CODE_REASONS[purpose]} is ${code}.`,
    ...(link ? [`Or open this link on the device you are signing in on: ${link}`] : []),
    `It expires in ${minutes} minutes and works once. If you did not ask for it, ignore this message; nothing changes.`,
  ]);
}

export function codeSms(
  app: string,
  code: string,
  minutes: number,
  purpose: "phone-verify" | "two-factor" = "phone-verify",
): string {
  const what = purpose === "two-factor" ? "sign-in" : "phone verification";
  return `${app}: your ${what} code is ${code}. It expires in ${minutes} minutes.`;
}

export function passwordChangedEmail(app: string, to: string, how: "changed" | "reset"): EmailMessage {
  return email(to, `Your ${app} password was ${how}`, [
    `The password of your ${app} account was ${how}, and every signed-in session was signed out.`,
    "If this was not you, reset your password now and check your account, its passkeys too (remove any you do not know).",
  ]);
}

export function passkeyAddedEmail(app: string, to: string, name: string): EmailMessage {
  return email(to, `A passkey was added to your ${app} account`, [
    `A passkey named "${name}" was added to your ${app} account: it can now sign in to it.`,
    "If this was not you, remove it (your app's passkey settings, or DELETE /auth/passkeys/{id}/), then change your password.",
  ]);
}

export function identityLinkedEmail(app: string, to: string, provider: string): EmailMessage {
  return email(to, `A new way to sign in to your ${app} account`, [
    `Your ${provider} account now signs in to your ${app} account.`,
    "If this was not you, reset your password now and unlink it under your account's linked sign-ins.",
  ]);
}

export function unvouchedIdentitiesRemovedEmail(app: string, to: string, count: number): EmailMessage {
  return email(to, `Sign-ins were removed from your ${app} account`, [
    `With your password reset, ${count === 1 ? "a sign-in" : `${count} sign-ins`} through another provider that had not confirmed this address ${count === 1 ? "was" : "were"} removed: it may not have been yours.`,
    "If it was yours, sign in and link it again.",
  ]);
}

export function identityUnlinkedEmail(app: string, to: string, provider: string): EmailMessage {
  return email(to, `A sign-in was unlinked from your ${app} account`, [
    `Your ${provider} account no longer signs in to your ${app} account.`,
    "If this was not you, reset your password now and check your account's passkeys and linked sign-ins.",
  ]);
}

export function emailChangedEmail(
  app: string,
  oldAddress: string,
  newAddress: string,
  undo: { token: string; days: number } | undefined,
): EmailMessage {
  return email(oldAddress, `Your ${app} email address was changed`, [
    `The email address of your ${app} account was changed from ${oldAddress} to ${newAddress}.`,
    ...(undo
      ? [
          `If this was not you, undo it within ${undo.days} days: it puts ${oldAddress} back and signs every session out. Your app's "undo email change" link does it, or POST /auth/user/email/undo/ with {"token": "${undo.token}"}.`,
          "Then reset your password.",
        ]
      : ["If this was not you, contact support at once."]),
  ]);
}

export function emailChangeUndoneEmail(app: string, to: string): EmailMessage {
  return email(to, `Your ${app} email change was undone`, [
    `The email address of your ${app} account is ${to} again, and every signed-in session was signed out.`,
    "If you did not change it yourself, reset your password now.",
  ]);
}

const TWO_FACTOR_CHANGES = {
  enabled: "Two-factor authentication was turned on",
  disabled: "Two-factor authentication was turned off",
  "recovery codes": "New two-factor recovery codes were made (the old ones no longer work)",
  methods: "The two-factor methods changed",
} as const;

export function twoFactorChangedEmail(app: string, to: string, change: keyof typeof TWO_FACTOR_CHANGES): EmailMessage {
  return email(to, `${app}: ${TWO_FACTOR_CHANGES[change].toLowerCase()}`, [
    `${TWO_FACTOR_CHANGES[change]} for your ${app} account, and every other signed-in session was signed out.`,
    "If this was not you, reset your password now and check your account's two-factor settings.",
  ]);
}

export function accountCreatedEmail(app: string, to: string, code: string, minutes: number): EmailMessage {
  return email(to, `Your ${app} account is ready: set a password`, [
    `An account was made for you at ${app}. To set its password, use the "forgot password" step with this address and the code ${code}.`,
    `The code expires in ${minutes} minutes and works once; the same step sends a new one later.`,
  ]);
}

export function twoFactorResetEmail(app: string, to: string): EmailMessage {
  return email(to, `${app}: two-factor authentication was reset by support`, [
    `Support turned off two-factor authentication on your ${app} account, and every signed-in session was signed out.`,
    "Sign in with your password and turn it on again. If you did not ask for this, reset your password now.",
  ]);
}

export function newDeviceEmail(
  app: string,
  to: string,
  where: { at: Date; device: string; country: string; asn: string },
): EmailMessage {
  const place = [where.country && `country ${where.country}`, where.asn && `network AS${where.asn}`].filter(Boolean).join(", ");
  return email(to, `New sign-in to your ${app} account`, [
    `Your ${app} account was signed in to from a device or network it has not been used from lately: ${where.device}${place ? ` (${place})` : ""}, at ${where.at.toISOString().replace("T", " ").slice(0, 16)} UTC.`,
    "If this was you, there is nothing to do.",
    'If it was not: secure your account now. Reset your password (your app\'s "forgot password", or POST /auth/password/forget/), which signs every session out, and check your passkeys and linked sign-ins.',
  ]);
}
