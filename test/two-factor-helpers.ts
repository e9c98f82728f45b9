// What the two-factor suites share: the 2FA endpoints as calls, an authenticator app that never
// shows a code the server has already accepted, and the success checks.
import { Secret, TOTP } from "otpauth";
import { expect } from "vitest";
import { type ApiResponse, api, basic, bearer, decodeJwt, type Session, userWithSession } from "./helpers.ts";

export const STEP_MS = 30_000;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const currentStep = () => Math.floor(Date.now() / STEP_MS);
export const codeForStep = (secret: string, step: number) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * STEP_MS + 1 });

/** An authenticator app holding one secret, which never shows a code the server has already seen. */
export class Authenticator {
  private lastStep = Number.NEGATIVE_INFINITY;
  readonly secret: string;
  constructor(secret: string) {
    this.secret = secret;
  }

  /**
   * A code the server accepts now: the oldest step of the +-1 window newer than any code used so
   * far (the previous step only while more than 5 s of the current one are left, so it is still in
   * the window when it arrives), waiting for the next step when the window is used up.
   */
  async nextCode(): Promise<string> {
    for (;;) {
      const now = Date.now();
      const current = Math.floor(now / STEP_MS);
      const left = STEP_MS - (now % STEP_MS);
      const oldest = left > 5_000 ? current - 1 : current;
      const step = Math.max(this.lastStep + 1, oldest);
      if (step <= current + 1) {
        this.lastStep = step;
        return codeForStep(this.secret, step);
      }
      await sleep(left + 100);
    }
  }

  /** The code of the step `offset` steps from now, without marking it used. */
  codeAt(offset: number): string {
    return codeForStep(this.secret, currentStep() + offset);
  }

  /** Six digits that are no code of any step near now. */
  wrongCode(): string {
    const step = currentStep();
    const near = new Set(Array.from({ length: 9 }, (_, i) => codeForStep(this.secret, step - 4 + i)));
    for (let candidate = 123_456; ; candidate = (candidate + 1) % 1_000_000) {
      const code = String(candidate).padStart(6, "0");
      if (!near.has(code)) return code;
    }
  }
}

export const setupTwoFactor = (access: string, json: unknown) =>
  api("POST", "/auth/secure/2fa/setup/", { headers: bearer(access), json });
export const confirmTwoFactor = (access: string, json: unknown) =>
  api("POST", "/auth/secure/2fa/confirm/", { headers: bearer(access), json });
export const verify = (json: unknown, headers: Record<string, string> = {}) =>
  api("POST", "/auth/secure/2fa/verify/", { json, headers });
export const disable = (access: string, json: unknown) =>
  api("POST", "/auth/secure/2fa/disable/", { headers: bearer(access), json });
export const newRecoveryCodes = (access: string, json: unknown) =>
  api("POST", "/auth/secure/2fa/recovery-codes/", { headers: bearer(access), json });
export const login = (username: string, password: string) =>
  api("POST", "/auth/user/login/", { headers: basic(username, password) });
export const profile = (access: string) => api("GET", "/profile/", { headers: bearer(access) });
export const check = (access: string) => api("POST", "/auth/jwt/check/", { headers: bearer(access) });

/** Expects a 200 envelope with `message` and returns its data. */
export function expectSuccess(res: ApiResponse, message: string) {
  if (res.status !== 200) throw new Error(`expected 200 "${message}", got ${res.status} ${res.text}`);
  expect(res.body).toMatchObject({ success: true, message, error: null });
  return res.body.data;
}

export const setMethod = (access: string, json: unknown) =>
  api("POST", "/auth/secure/2fa/methods/", { headers: bearer(access), json });
export const sendSettingsCode = (access: string, method: string) =>
  api("POST", "/auth/secure/2fa/code/", { headers: bearer(access), json: { method } });

/** Expects a working token pair (the access token passes check, the refresh token refreshes). */
export async function expectWorkingPair(tokens: Partial<Session> & Record<string, unknown>, userId: string) {
  expect(tokens).toMatchObject({ token_type: "Bearer", expires_in: 900 });
  expect(decodeJwt(String(tokens.access)).payload.sub).toBe(userId);
  expect((await check(String(tokens.access))).status).toBe(200);
  expect((await api("POST", "/auth/jwt/get-access/", { json: { refresh: tokens.refresh } })).status).toBe(200);
}

/** Waits, when needed, until at least `ms` are left in the current 30 s step (then nothing crosses a step edge). */
export async function awayFromStepEnd(ms = 10_000): Promise<void> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < ms) await sleep(left + 100);
}

/** A fresh user with a session and a started (not yet confirmed) setup. */
export async function userWithPendingSetup() {
  const { user, session } = await userWithSession();
  const data = expectSuccess(await setupTwoFactor(session.access, { password: user.password }), "2fa setup successful");
  return { user, session, secret: data.secret as string, app: new Authenticator(data.secret), setup: data };
}

/** A fresh user with an authenticator app enabled; `session` is the pair the confirm handed out. */
export async function userWithTwoFactor() {
  const { user, session, secret, app } = await userWithPendingSetup();
  const data = expectSuccess(await confirmTwoFactor(session.access, { code: await app.nextCode() }), "2fa confirm successful");
  return { user, secret, app, recoveryCodes: data.recovery_codes as string[], session: data.tokens as Session };
}

/** A recovery code of the same shape as `real` that is not it. */
export const fakeRecoveryCode = (real: string) =>
  real.replace(/[A-Za-z0-9]/g, (c) => (/\d/.test(c) ? String((Number(c) + 1) % 10) : c === "a" || c === "A" ? "b" : "a"));

/** Logs in with the password and expects the second step: the mfa_token. */
export async function mfaToken(user: { username: string; password: string }): Promise<string> {
  const res = await login(user.username, user.password);
  const data = expectSuccess(res, "login successful");
  expect(data).toMatchObject({ mfa_required: true, methods: ["totp"] });
  expect(typeof data.mfa_token).toBe("string");
  return data.mfa_token;
}

/** Logs in with both factors and returns the session. */
export async function signIn(user: { username: string; password: string }, app: Authenticator): Promise<Session> {
  const token = await mfaToken(user);
  return expectSuccess(await verify({ mfa_token: token, code: await app.nextCode() }), "2fa verify successful");
}
