// Sign in with an OpenID provider, end to end against the dev OpenID provider (a real one,
// oidc-provider): the browser goes to /start/, signs in at the provider's form, comes back through
// /callback/ to the app with a one-time code, and the app exchanges it for tokens. Also GitHub's
// plain OAuth path, against a server speaking GitHub Enterprise's endpoints.

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { identities, users } from "../src/db/schema.ts";
import {
  api,
  bearer,
  expectFailure,
  latestCode,
  loginStatus,
  messageTo,
  outbox,
  signupBody,
  testDb,
  uniqueName,
  userWithSession,
  verifyEmailAddress,
} from "./helpers.ts";
import {
  APP,
  APP_VERIFIER,
  Browser,
  callback,
  challengeOf,
  devSignIn,
  exchange,
  signInAtDevProvider,
  startFlow,
} from "./oauth-helpers.ts";
import { userWithTwoFactor } from "./two-factor-helpers.ts";

const emailOf = (name: string) => `${name}@example.com`;
const profileOf = async (access: string) => (await api("GET", "/profile/", { headers: bearer(access) })).body.data.user;

/** A whole sign-in: the code the app received, exchanged. */
async function signInWithDev(email: string, verified = true) {
  const back = await devSignIn(email, verified);
  expect(`${back.origin}${back.pathname}`).toBe(APP);
  expect(back.searchParams.get("error")).toBeNull();
  return exchange(String(back.searchParams.get("code")));
}

async function tokensFor(email: string, verified = true) {
  const res = await signInWithDev(email, verified);
  expect(res.status, res.text).toBe(200);
  return res.body.data as { access: string; refresh: string };
}

const identityRows = async (userId: string) => testDb().select().from(identities).where(eq(identities.userId, userId));

describe("GET /auth/oauth/providers/", () => {
  it("lists the enabled providers for the app's buttons", async () => {
    const res = await api("GET", "/auth/oauth/providers/");
    expect(res.status).toBe(200);
    expect(res.body.data.providers).toEqual([
      { id: "dev", name: "dev", kind: "oidc" },
      { id: "github", name: "GitHub", kind: "oauth2" },
      { id: "native", name: "native", kind: "oidc" },
      { id: "apple", name: "Apple", kind: "oidc" },
      { id: "down", name: "down", kind: "oidc" },
    ]);
  });

  it("answers 404 for a provider that is not enabled", async () => {
    const query = `redirect_uri=${encodeURIComponent(APP)}&code_challenge=${await challengeOf(APP_VERIFIER)}`;
    expectFailure(await api("GET", `/auth/oauth/google/start/?${query}`), 404, "NOT_FOUND");
  });
});

describe("signing up and in through the dev OpenID provider", () => {
  it("creates an account without a password for a new identity, its address verified because the provider vouches for it", async () => {
    const name = uniqueName("social");
    const tokens = await tokensFor(emailOf(name));
    const user = await profileOf(tokens.access);
    expect(user).toMatchObject({ username: name, is_email_verified: true });
    const [row] = await testDb().select().from(users).where(eq(users.id, user.user_id));
    expect(row?.passwordHash).toBeNull();
    expect(row?.email).toBe(emailOf(name));
    const listed = await api("GET", "/auth/identities/", { headers: bearer(tokens.access) });
    expect(listed.body.data.identities).toMatchObject([{ provider: "dev", email: emailOf(name), email_verified: true }]);
  });

  it("leaves the address unverified when the provider does not vouch for it", async () => {
    const tokens = await tokensFor(emailOf(uniqueName("unvouched")), false);
    expect((await profileOf(tokens.access)).is_email_verified).toBe(false);
  });

  it("signs the same identity in to the same account the next time, and makes the username unique when taken", async () => {
    const name = uniqueName("again");
    // Someone else already has the username the address would give.
    await api("POST", "/auth/user/signup/", { json: signupBody({ username: name, email: emailOf(`other_${name}`) }) });
    const first = await tokensFor(emailOf(name));
    const second = await tokensFor(emailOf(name));
    const a = await profileOf(first.access);
    expect(a.username).not.toBe(name);
    expect(a.username.startsWith(name.slice(0, 24))).toBe(true);
    expect((await profileOf(second.access)).user_id).toBe(a.user_id);
    expect(await identityRows(a.user_id)).toHaveLength(1);
  });

  it("answers mfa_required for an account with two-factor authentication: a provider sign-in is one factor", async () => {
    const { user, session } = await userWithTwoFactor();
    await verifyEmailAddress(user.email, session.access);
    const res = await signInWithDev(user.email);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ mfa_required: true, methods: ["totp"] });
    expect(res.body.data.access).toBeUndefined();
  });
});

describe("linking by address", () => {
  it("links to the account holding the address when both the provider and the account have it verified; mails a notice", async () => {
    const { user, session } = await userWithSession();
    await verifyEmailAddress(user.email, session.access);
    const tokens = await tokensFor(user.email);
    expect((await profileOf(tokens.access)).user_id).toBe(user.id);
    expect(await identityRows(user.id)).toMatchObject([{ provider: "dev", emailVerified: true }]);
    await messageTo(user.email, "A new way to sign in");
    const events = await api("GET", "/auth/security-events/", { headers: bearer(tokens.access) });
    expect(events.body.data.events.map((event: { event: string }) => event.event)).toContain("identity_linked");
  });

  it("refuses with ACCOUNT_EXISTS when the account's own address is not verified (whoever registered it may not own it)", async () => {
    const { user } = await userWithSession();
    const back = await devSignIn(user.email, true);
    expect(back.searchParams.get("error")).toBe("ACCOUNT_EXISTS");
    expect(back.searchParams.get("code")).toBeNull();
    expect(await identityRows(user.id)).toHaveLength(0);
  });

  it("refuses with ACCOUNT_EXISTS when the provider does not vouch for the address (no takeover with an unverified one)", async () => {
    const { user, session } = await userWithSession();
    await verifyEmailAddress(user.email, session.access);
    const back = await devSignIn(user.email, false);
    expect(back.searchParams.get("error")).toBe("ACCOUNT_EXISTS");
    expect(await identityRows(user.id)).toHaveLength(0);
  });
});

/** Starts a link for a signed-in user and runs it at the dev provider: the URL the app receives. */
async function linkThroughDev(access: string, password: string, email: string) {
  const started = await api("POST", "/auth/oauth/dev/link/", {
    headers: bearer(access),
    json: { redirect_uri: APP, code_challenge: await challengeOf(APP_VERIFIER), password },
  });
  expect(started.status, started.text).toBe(200);
  const browser = new Browser();
  const back = await signInAtDevProvider(browser, new URL(started.body.data.url), email, true);
  return callback(browser, back);
}

describe("POST /auth/oauth/{provider}/link/", () => {
  it("links a provider to the signed-in account; its code is taken only with that account's token", async () => {
    const { user, session } = await userWithSession();
    const other = await userWithSession();
    const providerEmail = emailOf(uniqueName("linked"));
    const back = await linkThroughDev(session.access, user.password, providerEmail);
    const code = String(back.searchParams.get("code"));
    expectFailure(await exchange(code), 400, "OAUTH_CODE_INVALID");
    expectFailure(await exchange(code, {}, bearer(other.session.access)), 400, "OAUTH_CODE_INVALID");
    const done = await exchange(code, {}, bearer(session.access));
    expect(done.status, done.text).toBe(200);
    expect(done.body.data.identity).toMatchObject({ provider: "dev", email: providerEmail, email_verified: true });
    expectFailure(await exchange(code, {}, bearer(session.access)), 400, "OAUTH_CODE_INVALID");
    await messageTo(user.email, "A new way to sign in");
    // The provider account now signs in to this account.
    expect((await profileOf((await tokensFor(providerEmail)).access)).user_id).toBe(user.id);
  });

  it("refuses an identity that already signs in to another account (409 IDENTITY_IN_USE)", async () => {
    const taken = emailOf(uniqueName("taken"));
    await tokensFor(taken);
    const { user, session } = await userWithSession();
    const back = await linkThroughDev(session.access, user.password, taken);
    expectFailure(await exchange(String(back.searchParams.get("code")), {}, bearer(session.access)), 409, "IDENTITY_IN_USE");
    expect(await identityRows(user.id)).toHaveLength(0);
  });

  it("needs the password (or a sign-in within 10 minutes) and an allowed redirect_uri", async () => {
    const { user, session } = await userWithSession();
    const wrong = await api("POST", "/auth/oauth/dev/link/", {
      headers: bearer(session.access),
      json: { redirect_uri: APP, code_challenge: await challengeOf(APP_VERIFIER), password: `${user.password}x` },
    });
    expectFailure(wrong, 400, "VALIDATION_ERROR");
    const elsewhere = await api("POST", "/auth/oauth/dev/link/", {
      headers: bearer(session.access),
      json: { redirect_uri: "https://evil.example/", code_challenge: await challengeOf(APP_VERIFIER), password: user.password },
    });
    expectFailure(elsewhere, 400, "VALIDATION_ERROR");
    expectFailure(await api("POST", "/auth/oauth/dev/link/", { json: { redirect_uri: APP } }), 401, "NOT_AUTHENTICATED");
  });
});

describe("an account made by a provider sign-in", () => {
  it("has no password until it sets one through the reset flow; its last way in cannot be unlinked until then", async () => {
    const email = emailOf(uniqueName("nopass"));
    const tokens = await tokensFor(email);
    const user = await profileOf(tokens.access);
    const [identity] = await identityRows(user.user_id);
    const unlink = () => api("DELETE", `/auth/identities/${identity?.id}/`, { headers: bearer(tokens.access) });
    expectFailure(await unlink(), 400, "VALIDATION_ERROR");
    const before = (await outbox(email)).length;
    expect((await api("POST", "/auth/password/forget/", { json: { email } })).status).toBe(200);
    const otp = await latestCode(email, before);
    const confirmed = await api("POST", "/auth/password/forget/confirm/", { json: { email, otp } });
    expect(confirmed.status, confirmed.text).toBe(200);
    const password = "a fresh Passphrase 42!";
    const reset = await api("POST", "/auth/password/reset/", {
      json: { email, reset_token: confirmed.body.data.reset_token, password1: password, password2: password },
    });
    expect(reset.status, reset.text).toBe(200);
    expect(await loginStatus(user.username, password)).toBe(200);
    const fresh = await tokensFor(email);
    const removed = await api("DELETE", `/auth/identities/${identity?.id}/`, { headers: bearer(fresh.access) });
    expect(removed.status, removed.text).toBe(200);
  });
});

describe("the app's own PKCE (required)", () => {
  it("makes the code useless without the verifier the app kept: another app instance cannot take it (login CSRF)", async () => {
    const verifier = "app-verifier-".padEnd(64, "x");
    const back = await devSignIn(emailOf(uniqueName("pkce")), true, new Browser(), {
      code_challenge: await challengeOf(verifier),
    });
    const code = String(back.searchParams.get("code"));
    // An attacker's code in a victim's app: the victim's app holds another verifier, or none.
    expectFailure(await exchange(code), 400, "OAUTH_CODE_INVALID");
    expectFailure(await exchange(code, { code_verifier: undefined }), 400, "VALIDATION_ERROR");
    expectFailure(await exchange(code, { code_verifier: `${verifier.slice(0, -1)}y` }), 400, "OAUTH_CODE_INVALID");
    const res = await exchange(code, { code_verifier: verifier });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data.access).toBeTypeOf("string");
  });

  it("is required to start a flow", async () => {
    const missing = await api("GET", `/auth/oauth/dev/start/?redirect_uri=${encodeURIComponent(APP)}`);
    expectFailure(missing, 400, "VALIDATION_ERROR");
    const short = await api("GET", `/auth/oauth/dev/start/?redirect_uri=${encodeURIComponent(APP)}&code_challenge=abc`);
    expectFailure(short, 400, "VALIDATION_ERROR");
  });
});

describe("GitHub (plain OAuth 2.0, through a GitHub Enterprise Server base URL)", () => {
  async function githubSignIn(as: Record<string, string>) {
    const browser = new Browser();
    const providerUrl = await startFlow(browser, "github");
    expect(providerUrl.pathname).toBe("/login/oauth/authorize");
    expect(providerUrl.searchParams.get("scope")).toBe("read:user user:email");
    expect(providerUrl.searchParams.get("code_challenge_method")).toBe("S256");
    for (const [name, value] of Object.entries(as)) providerUrl.searchParams.set(name, value);
    const back = await browser.go(providerUrl);
    return callback(browser, new URL(String(back.headers.get("location"))));
  }

  it("signs up with the primary address, verified as GitHub says, the numeric id as the subject", async () => {
    const email = emailOf(uniqueName("octo"));
    const id = String(100_000 + Math.floor(Math.random() * 1e9));
    const back = await githubSignIn({ as: email, id, name: "Mona Lisa Octocat" });
    const res = await exchange(String(back.searchParams.get("code")));
    expect(res.status, res.text).toBe(200);
    const user = await profileOf(res.body.data.access);
    expect(user).toMatchObject({ is_email_verified: true, full_name: "Mona Lisa Octocat" });
    const [row] = await identityRows(user.user_id);
    expect(row).toMatchObject({ provider: "github", subject: id, email, emailVerified: true });
  });

  it("takes an unverified primary address as unverified", async () => {
    const id = String(100_000 + Math.floor(Math.random() * 1e9));
    const back = await githubSignIn({ as: emailOf(uniqueName("octo")), id, verified: "0" });
    const res = await exchange(String(back.searchParams.get("code")));
    expect((await profileOf(res.body.data.access)).is_email_verified).toBe(false);
  });
});
