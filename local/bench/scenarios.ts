// Every endpoint the benchmark drives: what one valid request is, what must exist before it
// (made by `prepare`, outside the measured window), and the endpoint's floor: the round trips and
// password hashes it cannot avoid, added up from the floor worker's measurements.
import {
  basicAuth,
  type Fixtures,
  OAUTH_BENCH_VERIFIER,
  OTHER_PASSWORD,
  PASSWORD,
  type Tokens,
  totpCode,
  totpStepNow,
} from "./fixtures.ts";
import { type Answer, authed, type Call, json } from "./measure.ts";

/** What an endpoint cannot avoid, on top of the HTTP floor (an empty response). */
export interface Floor {
  pbkdf2?: number;
  db?: number;
  redis?: number;
  /** The DB and Redis round trips run concurrently (health): max instead of sum. */
  concurrent?: boolean;
  /** Why, in a few words, when it is not obvious from the counts. */
  note?: string;
}

export interface PhaseLoad {
  request: (i: number, worker: number) => Call;
  after?: (answer: Answer, i: number, worker: number) => void;
}

export interface Scenario {
  key: string;
  name: string;
  expect: number;
  /** One PBKDF2 or one fresh account/session per request: fewer requests. */
  heavy: boolean;
  floor: Floor;
  /** Makes what `count` requests at `concurrency` need; then returns how to make each request. */
  prepare: (fixtures: Fixtures, count: number, concurrency: number) => Promise<PhaseLoad>;
}

/** Chains (refresh rotation, password change) need one per client: at most this many clients. */
export const MAX_CONCURRENCY = 16;

const data = <T>(answer: Answer) => (JSON.parse(answer.text) as { data: T }).data;

/** Sixteen signed-in users with one session each, shared by the read-only scenarios. */
const readers = (fixtures: Fixtures) => fixtures.once("readers", async () => fixtures.signIn(await fixtures.accounts(16)));

/** Users whose logins the login scenarios repeat (and whose extra sessions logout ends). */
const loginUsers = (fixtures: Fixtures) => fixtures.once("login users", () => fixtures.accounts(16));

const pick = <T>(list: T[], i: number): T => list[i % list.length] as T;

export const SCENARIOS: Scenario[] = [
  {
    key: "health",
    name: "GET /health",
    expect: 200,
    heavy: false,
    floor: { db: 1, redis: 1, concurrent: true },
    prepare: async () => ({ request: () => ({ method: "GET", path: "/health" }) }),
  },
  {
    key: "countries",
    name: "GET countrydetails",
    expect: 200,
    heavy: false,
    floor: {},
    prepare: async () => ({ request: () => ({ method: "GET", path: "/other/metadata/countrydetails/" }) }),
  },
  {
    key: "check",
    name: "POST jwt/check",
    expect: 200,
    heavy: false,
    floor: { redis: 1, note: "revocation check" },
    prepare: async (fixtures) => {
      const users = await readers(fixtures);
      return { request: (i) => ({ method: "POST", path: "/auth/jwt/check/", ...authed(pick(users, i).tokens.access) }) };
    },
  },
  {
    key: "get-access",
    name: "POST jwt/get-access",
    expect: 200,
    heavy: false,
    floor: { redis: 1 },
    prepare: async (fixtures) => {
      const users = await readers(fixtures);
      return {
        request: (i) => ({ method: "POST", path: "/auth/jwt/get-access/", ...json({ refresh: pick(users, i).tokens.refresh }) }),
      };
    },
  },
  {
    key: "get-refresh",
    name: "POST jwt/get-refresh",
    expect: 200,
    heavy: false,
    floor: { redis: 1 },
    prepare: async (fixtures, _count, concurrency) => {
      // One rotation chain per client: each answer's refresh token is the next request's.
      const chains = await fixtures.once("refresh chains", async () => {
        const sessions = await fixtures.signIn(await fixtures.accounts(MAX_CONCURRENCY));
        return sessions.map((session) => session.tokens.refresh);
      });
      if (concurrency > chains.length) throw new Error(`get-refresh chains: at most ${chains.length} clients`);
      return {
        request: (_i, worker) => ({ method: "POST", path: "/auth/jwt/get-refresh/", ...json({ refresh: chains[worker] }) }),
        after: (answer, _i, worker) => {
          if (answer.status === 200) chains[worker] = data<Tokens>(answer).refresh;
        },
      };
    },
  },
  {
    key: "profile",
    name: "GET profile",
    expect: 200,
    heavy: false,
    floor: { redis: 1, db: 1 },
    prepare: async (fixtures) => {
      const users = await readers(fixtures);
      return { request: (i) => ({ method: "GET", path: "/profile/", ...authed(pick(users, i).tokens.access) }) };
    },
  },
  {
    key: "profile-update",
    name: "PATCH profile/update",
    expect: 200,
    heavy: false,
    floor: { redis: 1, db: 2, note: "read + write: MySQL has no UPDATE ... RETURNING" },
    prepare: async (fixtures) => {
      const users = await readers(fixtures);
      return {
        request: (i) => ({
          method: "PATCH",
          path: "/profile/update/",
          ...authed(pick(users, i).tokens.access, { city: `Bench city ${i}`, postal_code: String(10_000 + i) }),
        }),
      };
    },
  },
  {
    key: "sessions",
    name: "GET auth/sessions",
    expect: 200,
    heavy: false,
    floor: { redis: 1, note: "revocation check and listing fit one script" },
    prepare: async (fixtures) => {
      const users = await readers(fixtures);
      return { request: (i) => ({ method: "GET", path: "/auth/sessions/", ...authed(pick(users, i).tokens.access) }) };
    },
  },
  {
    key: "signup",
    name: "POST signup",
    expect: 201,
    heavy: true,
    floor: { pbkdf2: 1, db: 1 },
    prepare: async (fixtures, count) => {
      const accounts = Array.from({ length: count }, () => fixtures.newAccount());
      return {
        request: (i) => fixtures.signupCall(accounts[i] ?? fixtures.newAccount()),
        // The new accounts serve the scenarios after this one.
        after: (answer, i) => {
          const account = accounts[i];
          if (answer.status === 201 && account) fixtures.fresh.push(account);
        },
      };
    },
  },
  {
    key: "login-basic",
    name: "POST login (Basic)",
    expect: 200,
    heavy: true,
    floor: { pbkdf2: 1, db: 1, redis: 1 },
    prepare: async (fixtures) => {
      const users = await loginUsers(fixtures);
      return { request: (i) => ({ method: "POST", path: "/auth/user/login/", headers: basicAuth(pick(users, i)) }) };
    },
  },
  {
    key: "login-json",
    name: "POST login (JSON)",
    expect: 200,
    heavy: true,
    floor: { pbkdf2: 1, db: 1, redis: 1 },
    prepare: async (fixtures) => {
      const users = await loginUsers(fixtures);
      return {
        request: (i) => {
          const user = pick(users, i);
          return { method: "POST", path: "/auth/user/login/", ...json({ username: user.username, password: user.password }) };
        },
      };
    },
  },
  {
    key: "logout",
    name: "POST logout",
    expect: 200,
    heavy: true,
    floor: { redis: 1 },
    prepare: async (fixtures, count) => {
      // A session of its own per request.
      const users = await loginUsers(fixtures);
      const sessions = await fixtures.signIn(Array.from({ length: count }, (_, i) => pick(users, i)));
      return {
        request: (i) => {
          const { tokens } = sessions[i] as (typeof sessions)[number];
          return { method: "POST", path: "/auth/user/logout/", ...authed(tokens.access, { refresh: tokens.refresh }) };
        },
      };
    },
  },
  {
    key: "email-confirm",
    name: "POST confirm/email",
    expect: 200,
    heavy: true,
    floor: { redis: 1, db: 1, note: "code check (with revocation) + verified flag" },
    prepare: async (fixtures, count) => {
      const users = await fixtures.emailCodes(count);
      return {
        request: (i) => {
          const user = users[i] as (typeof users)[number];
          return { method: "POST", path: "/auth/confirm/email/", ...authed(user.tokens.access, { otp: user.code }) };
        },
        // Still signed in and otherwise untouched: logout-all's users.
        after: (answer, i) => {
          const user = users[i];
          if (answer.status === 200 && user) fixtures.signedIn.push({ account: user.account, tokens: user.tokens });
        },
      };
    },
  },
  {
    key: "logout-all",
    name: "POST logout-all",
    expect: 200,
    heavy: true,
    floor: { db: 1, redis: 1, note: "tokens_valid_after in MySQL, then the Redis mirror" },
    prepare: async (fixtures, count) => {
      // A user of its own per request: every token of the user dies.
      const users = await fixtures.untouchedSessions(count);
      return {
        request: (i) => ({
          method: "POST",
          path: "/auth/user/logout-all/",
          ...authed((users[i] as (typeof users)[number]).tokens.access),
        }),
      };
    },
  },
  {
    key: "password-change",
    name: "POST password/change",
    expect: 200,
    heavy: true,
    floor: { pbkdf2: 2, db: 2, redis: 2, note: "verify old + hash new; read + write; auth check + revoke/new session" },
    prepare: async (fixtures, _count, concurrency) => {
      // One chain per client: each change answers the access token and sets the password the next one uses.
      const chains = await fixtures.once("password chains", async () => {
        const users = await fixtures.signIn(await fixtures.accounts(MAX_CONCURRENCY));
        return users.map(({ account, tokens }) => ({ access: tokens.access, password: account.password, next: "" }));
      });
      if (concurrency > chains.length) throw new Error(`password-change chains: at most ${chains.length} clients`);
      return {
        request: (_i, worker) => {
          const chain = chains[worker] as (typeof chains)[number];
          chain.next = chain.password === PASSWORD ? OTHER_PASSWORD : PASSWORD;
          const body = { old_password: chain.password, password1: chain.next, password2: chain.next };
          return { method: "POST", path: "/auth/password/change/", ...authed(chain.access, body) };
        },
        after: (answer, _i, worker) => {
          const chain = chains[worker];
          if (answer.status !== 200 || !chain) return;
          chain.access = data<Tokens>(answer).access;
          chain.password = chain.next;
        },
      };
    },
  },
  {
    key: "forget",
    name: "POST password/forget",
    expect: 200,
    heavy: true,
    floor: { note: "lookup, code and mail run after the response" },
    prepare: async (fixtures, count) => {
      // An account of its own per request (60 s between codes to one account).
      const accounts = await fixtures.accounts(count);
      return {
        request: (i) => fixtures.forgetCall(accounts[i] ?? fixtures.newAccount()),
        after: (answer, i) => {
          const account = accounts[i];
          if (answer.status === 200 && account) fixtures.forgotten.push(account);
        },
      };
    },
  },
  {
    key: "forget-confirm",
    name: "POST password/forget/confirm",
    expect: 200,
    heavy: true,
    floor: { db: 1, redis: 1, note: "account lookup, then the code check" },
    prepare: async (fixtures, count) => {
      const codes = await fixtures.resetCodes(count);
      return {
        request: (i) => {
          const { account, code } = codes[i] as (typeof codes)[number];
          return fixtures.confirmCall(account, code);
        },
        after: (answer, i) => {
          const account = codes[i]?.account;
          if (answer.status === 200 && account)
            fixtures.confirmed.push({ account, resetToken: data<{ reset_token: string }>(answer).reset_token });
        },
      };
    },
  },
  {
    key: "reset",
    name: "POST password/reset",
    expect: 200,
    heavy: true,
    floor: { pbkdf2: 1, db: 2, redis: 2, note: "lookup, token spent, new hash written, sessions revoked" },
    prepare: async (fixtures, count) => {
      const tokens = await fixtures.resetTokens(count);
      return {
        request: (i) => {
          const { account, resetToken } = tokens[i] as (typeof tokens)[number];
          const body = { email: account.email, reset_token: resetToken, password1: OTHER_PASSWORD, password2: OTHER_PASSWORD };
          return { method: "POST", path: "/auth/password/reset/", ...json(body) };
        },
      };
    },
  },
  {
    key: "passkey-options",
    name: "POST passkeys/login/options",
    expect: 200,
    heavy: false,
    floor: { redis: 1, note: "the challenge stored" },
    prepare: async () => ({ request: () => ({ method: "POST", path: "/auth/passkeys/login/options/", ...json({}) }) }),
  },
  {
    key: "passkey-login",
    name: "POST passkeys/login/verify",
    expect: 200,
    heavy: true,
    floor: { db: 1, redis: 1, note: "passkey and user read, challenge spent with the session made" },
    prepare: async (fixtures, count) => {
      const authenticators = await fixtures.once("passkey users", () => fixtures.passkeyUsers(16));
      const assertions = await fixtures.passkeyAssertions(authenticators, count);
      return {
        request: (i) => ({ method: "POST", path: "/auth/passkeys/login/verify/", ...json({ response: assertions[i] }) }),
      };
    },
  },
  {
    key: "oauth-exchange",
    name: "POST oauth/exchange",
    expect: 200,
    heavy: true,
    floor: { db: 1, redis: 1, note: "user read, code spent with the session made (one script)" },
    prepare: async (fixtures, count) => {
      const codes = await fixtures.oauthCodes(count);
      return {
        request: (i) => ({
          method: "POST",
          path: "/auth/oauth/exchange/",
          ...json({ code: codes[i], code_verifier: OAUTH_BENCH_VERIFIER }),
        }),
      };
    },
  },
  {
    key: "2fa-verify",
    name: "POST 2fa/verify (TOTP)",
    expect: 200,
    heavy: true,
    floor: { redis: 2, db: 1, note: "challenge read, TOTP step write, session script" },
    prepare: async (fixtures, count) => {
      const logins = await fixtures.mfaLogins(count);
      return {
        request: (i) => {
          const login = logins[i] as (typeof logins)[number];
          // A step after the one confirm used, within the accepted window (previous, current, next).
          const code = totpCode(login.secret, Math.max(login.lastStep + 1, totpStepNow()));
          return { method: "POST", path: "/auth/secure/2fa/verify/", ...json({ mfa_token: login.mfaToken, code }) };
        },
      };
    },
  },
];
