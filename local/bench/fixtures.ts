// Accounts, sessions and codes the scenarios use, made before the measured windows through the
// API itself (signup, login, the dev outbox for one-time codes), so every measured request is a
// valid one answered 2xx. Consumable things (a session to log out, a code, a reset token, an
// mfa_token) are made one per request.

import { createHash } from "node:crypto";
import { Secret, TOTP } from "otpauth";
import { SoftAuthenticator } from "../software-authenticator.ts";
import { authed, call, expectData, inParallel, json } from "./measure.ts";

export const PASSWORD = "Bench-passphrase-42";
export const OTHER_PASSWORD = "Bench-passphrase-43";
/** Setup requests at a time: enough to keep two cores busy with PBKDF2. */
const SETUP_PARALLEL = 8;
/** As the service's TOTP: SHA-1, 6 digits, 30 s. */
const TOTP_PARAMETERS = { algorithm: "SHA1", digits: 6, period: 30 } as const;

export interface Account {
  username: string;
  email: string;
  password: string;
}

export interface Tokens {
  access: string;
  refresh: string;
}

export interface SignedIn {
  account: Account;
  tokens: Tokens;
}

export const basicAuth = (account: Pick<Account, "username" | "password">) => ({
  authorization: `Basic ${Buffer.from(`${account.username}:${account.password}`).toString("base64")}`,
});

export const totpStepNow = () => Math.floor(Date.now() / 30_000);
export const totpCode = (secret: string, step: number) =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * 30_000, ...TOTP_PARAMETERS });

export class Fixtures {
  readonly base: string;
  private readonly runId = Date.now().toString(36);
  private serial = 0;
  /** Accounts nobody has used yet (the signup scenario adds the ones it made). */
  readonly fresh: Account[] = [];
  /** Signed in and otherwise untouched (after an email confirmation): for logout-all. */
  readonly signedIn: SignedIn[] = [];
  /** Password reset in stages: forget sent; code confirmed (with its reset token). */
  readonly forgotten: Account[] = [];
  readonly confirmed: { account: Account; resetToken: string }[] = [];
  private cached = new Map<string, Promise<unknown>>();

  constructor(base: string) {
    this.base = base;
  }

  /** A name nobody has: the run id keeps runs against one database apart. */
  newAccount(): Account {
    const username = `b_${this.runId}_${this.serial++}`;
    return { username, email: `${username}@example.com`, password: PASSWORD };
  }

  signupCall(account: Account) {
    const body = { username: account.username, email: account.email, password: account.password, password2: account.password };
    return { method: "POST", path: "/auth/user/signup/", ...json(body) };
  }

  /** `n` accounts nobody used: the fresh ones first, signups for the rest. */
  async accounts(n: number): Promise<Account[]> {
    const taken = this.fresh.splice(0, n);
    const missing = Array.from({ length: n - taken.length }, () => this.newAccount());
    await inParallel(missing, SETUP_PARALLEL, (account) => expectData(this.base, this.signupCall(account), 201));
    return [...taken, ...missing];
  }

  /** Made once per run and shared (e.g. the signed-in users the read-only scenarios use). */
  once<T>(key: string, make: () => Promise<T>): Promise<T> {
    let value = this.cached.get(key) as Promise<T> | undefined;
    if (!value) {
      value = make();
      this.cached.set(key, value);
    }
    return value;
  }

  login(account: Account): Promise<Tokens> {
    return expectData<Tokens>(this.base, { method: "POST", path: "/auth/user/login/", headers: basicAuth(account) }, 200);
  }

  async signIn(accounts: Account[]): Promise<SignedIn[]> {
    return inParallel(accounts, SETUP_PARALLEL, async (account) => ({ account, tokens: await this.login(account) }));
  }

  /** The code in the newest outbox message to `to` whose subject matches, waiting for the mail to land. */
  async outboxCode(to: string, subject: RegExp): Promise<string> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const answer = await call(this.base, { method: "GET", path: `/dev/outbox?to=${encodeURIComponent(to)}` });
      if (answer.status === 200) {
        const { messages } = (JSON.parse(answer.text) as { data: { messages: { subject: string; text: string }[] } }).data;
        const code = messages.find((message) => subject.test(message.subject))?.text.match(/\b(\d{6})\b/)?.[1];
        if (code) return code;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no code mailed to ${to} (subject ${subject})`);
  }

  /** Sends a password reset code to each account (measured by the forget scenario, or here when it did not run). */
  forgetCall(account: Account) {
    return { method: "POST", path: "/auth/password/forget/", ...json({ email: account.email }) };
  }

  /** `n` accounts whose reset code is known, forgetting for more accounts when too few did. */
  async resetCodes(n: number): Promise<{ account: Account; code: string }[]> {
    if (this.forgotten.length < n) {
      const more = await this.accounts(n - this.forgotten.length);
      await inParallel(more, SETUP_PARALLEL, (account) => expectData(this.base, this.forgetCall(account), 200));
      this.forgotten.push(...more);
    }
    const accounts = this.forgotten.splice(0, n);
    return inParallel(accounts, SETUP_PARALLEL, async (account) => ({
      account,
      code: await this.outboxCode(account.email, /password reset/i),
    }));
  }

  confirmCall(account: Account, code: string) {
    return { method: "POST", path: "/auth/password/forget/confirm/", ...json({ email: account.email, otp: code }) };
  }

  /** `n` accounts with a confirmed code's reset token, confirming more codes when too few were. */
  async resetTokens(n: number): Promise<{ account: Account; resetToken: string }[]> {
    if (this.confirmed.length < n) {
      const codes = await this.resetCodes(n - this.confirmed.length);
      const made = await inParallel(codes, SETUP_PARALLEL, async ({ account, code }) => {
        const data = await expectData<{ reset_token: string }>(this.base, this.confirmCall(account, code), 200);
        return { account, resetToken: data.reset_token };
      });
      this.confirmed.push(...made);
    }
    return this.confirmed.splice(0, n);
  }

  /** Signed-in accounts with an email verification code sent and read back from the outbox. */
  async emailCodes(n: number): Promise<(SignedIn & { code: string })[]> {
    const signedIn = await this.signIn(await this.accounts(n));
    return inParallel(signedIn, SETUP_PARALLEL, async (user) => {
      await expectData(this.base, { method: "POST", path: "/auth/verify/email/", ...authed(user.tokens.access) }, 200);
      return { ...user, code: await this.outboxCode(user.account.email, /verif/i) };
    });
  }

  /** `n` signed-in accounts nobody else uses (the ones an email confirmation left first). */
  async untouchedSessions(n: number): Promise<SignedIn[]> {
    const taken = this.signedIn.splice(0, n);
    return [...taken, ...(await this.signIn(await this.accounts(n - taken.length)))];
  }

  /**
   * Accounts with an authenticator app enabled (setup, then confirm with the current code), each
   * with a pending login's mfa_token and the TOTP step it last used: a code is accepted once per
   * step, so every verify is a different account.
   */
  /** `n` accounts, each with a passkey from a software authenticator that keeps no sign count (as many platform ones). */
  async passkeyUsers(n: number): Promise<SoftAuthenticator[]> {
    const signedIn = await this.signIn(await this.accounts(n));
    return inParallel(signedIn, SETUP_PARALLEL, async ({ tokens }) => {
      const authenticator = await SoftAuthenticator.create();
      const options = await expectData<{ challenge: string; user: { id: string } }>(
        this.base,
        { method: "POST", path: "/auth/passkeys/register/options/", ...authed(tokens.access, {}) },
        200,
      );
      const response = await authenticator.register(options);
      await expectData(
        this.base,
        { method: "POST", path: "/auth/passkeys/register/verify/", ...authed(tokens.access, { response }) },
        201,
      );
      return authenticator;
    });
  }

  /** One fresh sign-in challenge per request, answered in advance (challenges live 5 minutes). */
  async passkeyAssertions(authenticators: SoftAuthenticator[], n: number): Promise<unknown[]> {
    return inParallel(
      Array.from({ length: n }, (_, i) => i),
      SETUP_PARALLEL,
      async (i) => {
        const options = await expectData<{ challenge: string }>(
          this.base,
          { method: "POST", path: "/auth/passkeys/login/options/", ...json({}) },
          200,
        );
        return (authenticators[i % authenticators.length] as SoftAuthenticator).assert(options, { signCount: 0 });
      },
    );
  }

  /**
   * `n` fresh one-time codes of sign-ins through the dev OpenID provider, each a whole browser
   * flow (start, the provider's form, the callback), all for one returning identity: the codes
   * the app would exchange (they live 60 seconds, so the exchange scenario runs right after).
   */
  async oauthCodes(n: number): Promise<string[]> {
    const email = `bench.social.${this.runId}@example.com`;
    return inParallel(
      Array.from({ length: n }, (_, i) => i),
      SETUP_PARALLEL,
      () => oauthCodeThroughDevProvider(this.base, email),
    );
  }

  async mfaLogins(n: number): Promise<{ mfaToken: string; secret: string; lastStep: number }[]> {
    const signedIn = await this.signIn(await this.accounts(n));
    return inParallel(signedIn, SETUP_PARALLEL, async ({ account, tokens }) => {
      const setup = { method: "POST", path: "/auth/secure/2fa/setup/", ...authed(tokens.access, { password: account.password }) };
      const { secret } = await expectData<{ secret: string }>(this.base, setup, 200);
      const step = totpStepNow();
      const code = totpCode(secret, step);
      await expectData(this.base, { method: "POST", path: "/auth/secure/2fa/confirm/", ...authed(tokens.access, { code }) }, 200);
      const login = await expectData<{ mfa_token?: string }>(
        this.base,
        { method: "POST", path: "/auth/user/login/", headers: basicAuth(account) },
        200,
      );
      if (!login.mfa_token) throw new Error("a login with 2FA on answered no mfa_token");
      return { mfaToken: login.mfa_token, secret, lastStep: step };
    });
  }
}

/** One sign-in through the dev OpenID provider as a browser would run it: the code the app receives. */
async function oauthCodeThroughDevProvider(base: string, email: string): Promise<string> {
  const cookies = new Map<string, string>();
  const go = async (url: string, init: RequestInit = {}) => {
    const host = new URL(url).host;
    const headers = new Headers(init.headers);
    const jar = [...cookies]
      .filter(([key]) => key.startsWith(`${host} `))
      .map(([key, value]) => `${key.slice(host.length + 1)}=${value}`);
    if (jar.length > 0) headers.set("cookie", jar.join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const at = pair.indexOf("=");
      cookies.set(`${host} ${pair.slice(0, at)}`, pair.slice(at + 1));
    }
    await res.arrayBuffer();
    return { res, next: new URL(res.headers.get("location") ?? "", url).toString() };
  };
  const challenge = createHash("sha256").update(OAUTH_BENCH_VERIFIER).digest("base64url");
  const query = new URLSearchParams({ redirect_uri: OAUTH_BENCH_REDIRECT, code_challenge: challenge });
  const start = await go(`${base}/auth/oauth/dev/start/?${query}`);
  let step = await go(start.next);
  while (!new URL(step.next).pathname.startsWith("/interaction/")) step = await go(step.next);
  const form = step.next;
  step = await go(form, {
    method: "POST",
    body: new URLSearchParams({ email, email_verified: "on" }),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  while (!step.next.startsWith(OAUTH_BENCH_REDIRECT)) step = await go(step.next);
  const code = new URL(step.next).searchParams.get("code");
  if (!code) throw new Error(`the sign-in ended without a code: ${step.next.slice(0, 200)}`);
  return code;
}

/** The app URL the bench's flows return to (never fetched), and the app's PKCE verifier. */
export const OAUTH_BENCH_REDIRECT = "http://bench.invalid/done";
export const OAUTH_BENCH_VERIFIER = "bench-app-pkce-verifier-0123456789abcdefghijklmnop";
