// How the sign-in-with flows are attacked, and what each attempt gets: forged, replayed or
// transplanted state (login CSRF), a code injected into another flow (PKCE), one-time codes used
// twice, late or tampered with, open redirects, and parallel replays.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { identities } from "../src/db/schema.ts";
import { flowCodeKey, openFlowCode, sealFlowCode } from "../src/lib/flow-codes.ts";
import { api, expectFailure, latestCode, messageTo, testDb, uniqueName } from "./helpers.ts";
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

const emailOf = (name: string) => `${name}@example.com`;

/** Runs a flow to the provider's redirect back, without going through the callback. */
async function backFromProvider(browser = new Browser()) {
  const providerUrl = await startFlow(browser, "dev");
  return { browser, back: await signInAtDevProvider(browser, providerUrl, emailOf(uniqueName("attack")), true) };
}

const noRedirect = (res: Response) => expect(res.headers.get("location")).toBeNull();

describe("state: the flow's single-use, browser-bound handle", () => {
  it("refuses a callback without state, with 400 and no redirect", async () => {
    const { browser, back } = await backFromProvider();
    back.searchParams.delete("state");
    const res = await browser.go(back);
    expect(res.status).toBe(400);
    noRedirect(res);
    expect((await res.json()) as object).toMatchObject({ success: false, error: { code: "VALIDATION_ERROR" } });
  });

  it("refuses a state used once already (a replayed callback)", async () => {
    const { browser, back } = await backFromProvider();
    const first = await callback(browser, back);
    expect(first.searchParams.get("code")).toBeTruthy();
    const again = await browser.go(back);
    expect(again.status).toBe(400);
    noRedirect(again);
  });

  it("refuses a flow finished in another browser than the one that started it (login CSRF)", async () => {
    // The attacker starts a flow and signs in at the provider as themself, then makes the victim's
    // browser open the callback URL: the victim has no binding cookie for that flow.
    const { back } = await backFromProvider();
    const victim = new Browser();
    const res = await victim.go(back);
    expect(res.status).toBe(400);
    noRedirect(res);
  });

  it("refuses a state that belongs to another provider's flow", async () => {
    const { browser, back } = await backFromProvider();
    const elsewhere = new URL(back);
    elsewhere.pathname = "/auth/oauth/github/callback";
    const res = await browser.go(elsewhere);
    expect(res.status).toBe(400);
    noRedirect(res);
  });

  it("sends a provider's refusal back to the app as ?error=ACCESS_DENIED", async () => {
    const browser = new Browser();
    const providerUrl = await startFlow(browser, "dev");
    const denied = new URL("https://api.test/auth/oauth/dev/callback");
    denied.searchParams.set("state", String(providerUrl.searchParams.get("state")));
    denied.searchParams.set("error", "access_denied");
    const app = await callback(browser, denied);
    expect(`${app.origin}${app.pathname}`).toBe(APP);
    expect(app.searchParams.get("error")).toBe("ACCESS_DENIED");
  });
});

describe("PKCE between this service and the provider", () => {
  it("makes a code from one flow useless in another (the provider refuses the other flow's verifier)", async () => {
    const browser = new Browser();
    const a = await startFlow(browser, "dev");
    const b = await backFromProvider(browser);
    // The code of flow B delivered with the state of flow A: A's verifier does not match B's challenge.
    const injected = new URL(b.back);
    injected.searchParams.set("state", String(a.searchParams.get("state")));
    const app = await callback(browser, injected);
    expect(app.searchParams.get("error")).toBe("PROVIDER_ERROR");
    expect(app.searchParams.get("code")).toBeNull();
  });
});

describe("the one-time code", () => {
  it("is taken once: of five parallel exchanges exactly one gets tokens", async () => {
    const back = await devSignIn(emailOf(uniqueName("race")));
    const code = String(back.searchParams.get("code"));
    const answers = await Promise.all(Array.from({ length: 5 }, () => exchange(code)));
    expect(answers.filter((res) => res.status === 200)).toHaveLength(1);
    for (const res of answers.filter((answer) => answer.status !== 200)) expectFailure(res, 400, "OAUTH_CODE_INVALID");
  });

  it("expires after 60 seconds", async () => {
    const back = await devSignIn(emailOf(uniqueName("late")));
    const key = await flowCodeKey(JSON.parse(String(env.JWT_PRIVATE_KEY)));
    const opened = await openFlowCode(key, String(back.searchParams.get("code")), new Date());
    expect(opened?.kind).toBe("sign-in");
    // The same claims, sealed 61 seconds ago by the same key.
    const { id: _id, expiresAtMs: _exp, ...claims } = opened as NonNullable<typeof opened>;
    const late = await sealFlowCode(key, claims, new Date(Date.now() - 61_000));
    expectFailure(await exchange(late), 400, "OAUTH_CODE_INVALID");
    expect((await exchange(String(back.searchParams.get("code")))).status).toBe(200);
  });

  it("is refused when tampered with, or made with another key", async () => {
    const back = await devSignIn(emailOf(uniqueName("tamper")));
    const code = String(back.searchParams.get("code"));
    const parts = code.split(".");
    const flipped = [...parts];
    flipped[3] = `${(parts[3] ?? "").slice(0, -2)}${(parts[3] ?? "").endsWith("AA") ? "BB" : "AA"}`;
    expectFailure(await exchange(flipped.join(".")), 400, "OAUTH_CODE_INVALID");
    const foreign = await sealFlowCode(
      crypto.getRandomValues(new Uint8Array(32)),
      { kind: "sign-in", userId: "x", appChallenge: await challengeOf(APP_VERIFIER), identityId: "y" },
      new Date(),
    );
    expectFailure(await exchange(foreign), 400, "OAUTH_CODE_INVALID");
    expectFailure(await exchange("not-a-code"), 400, "OAUTH_CODE_INVALID");
    expectFailure(await api("POST", "/auth/oauth/exchange/", { json: {} }), 400, "VALIDATION_ERROR");
    expectFailure(await api("POST", "/auth/oauth/exchange/", { json: { code: code, extra: 1 } }), 400, "VALIDATION_ERROR");
  });
});

describe("redirect_uri: only the app URLs on the list, exactly", () => {
  const tricks = [
    "https://evil.example/auth/done",
    "//evil.example/auth/done",
    "https://app.example.com.evil.example/auth/done",
    "https://app.example.com@evil.example/auth/done",
    "https://user@app.example.com/auth/done",
    "https://app.example.com\\@evil.example/auth/done",
    "https://app.example.com/auth/done/../../evil",
    "https://APP.example.com/auth/done",
    "https://app.example.com:443/auth/done",
    "https://app.example.com/auth/done#x",
    "https://app.example.com/auth/donex",
    "http://app.example.com/auth/done",
    "javascript:alert(1)",
    "",
  ];
  for (const uri of tricks)
    it(`refuses ${JSON.stringify(uri)} with 400, no redirect and no cookie`, async () => {
      const challenge = await challengeOf(APP_VERIFIER);
      const res = await api("GET", `/auth/oauth/dev/start/?redirect_uri=${encodeURIComponent(uri)}&code_challenge=${challenge}`);
      expectFailure(res, 400, "VALIDATION_ERROR");
      expect(res.headers.get("location")).toBeNull();
      expect(res.headers.get("set-cookie")).toBeNull();
    });

  it("accepts a listed URL and a path under a development wildcard", async () => {
    // The browser: a service binding's fetch would follow the 302 back into this worker.
    const browser = new Browser();
    const challenge = await challengeOf(APP_VERIFIER);
    const start = (uri: string) =>
      browser.go(`https://api.test/auth/oauth/dev/start/?redirect_uri=${encodeURIComponent(uri)}&code_challenge=${challenge}`);
    expect((await start(APP)).status).toBe(302);
    const wildcard = await start("http://localhost:3000/app/callback");
    expect(wildcard.status).toBe(302);
    const cookie = String(wildcard.headers.get("set-cookie"));
    expect(cookie).toMatch(/^__Host-lse_oauth_[0-9a-f]{16}=/);
    expect(cookie).toMatch(/Path=\/;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Secure/);
  });
});

describe("malformed requests", () => {
  it("answers an exchange without a body, or with another media type, with a 4xx", async () => {
    expectFailure(await api("POST", "/auth/oauth/exchange/"), 400, "VALIDATION_ERROR");
    const latin1 = await api("POST", "/auth/oauth/exchange/", {
      body: "",
      headers: { "content-type": "application/json; charset=latin1" },
    });
    expect(latin1.status).toBe(400);
    const form = await api("POST", "/auth/oauth/exchange/", {
      body: "code=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expectFailure(form, 415, "UNSUPPORTED_MEDIA_TYPE");
    expectFailure(await api("POST", "/auth/oauth/dev/id-token/"), 400, "VALIDATION_ERROR");
    expectFailure(
      await api("POST", "/auth/oauth/dev/link/", { headers: { authorization: "Bearer x.y.z" } }),
      401,
      "INVALID_TOKEN",
    );
  });
});

describe("an address the provider did not vouch for", () => {
  it("gives no lasting way in: the owner's password reset removes the unvouched sign-in, and it cannot come back", async () => {
    // Someone signs in first with the owner's address, at a provider that does not check addresses.
    const email = emailOf(uniqueName("preclaimed"));
    const made = await exchange(String((await devSignIn(email, false)).searchParams.get("code")));
    expect(made.status, made.text).toBe(200);
    const account = (await api("GET", "/profile/", { headers: { authorization: `Bearer ${made.body.data.access}` } })).body.data
      .user;
    // The owner takes the account over through the mailbox: forget, code, reset.
    expect((await api("POST", "/auth/password/forget/", { json: { email } })).status).toBe(200);
    const otp = await latestCode(email);
    const confirmed = await api("POST", "/auth/password/forget/confirm/", { json: { email, otp } });
    const password = "the Owner's own passphrase 7";
    const reset = await api("POST", "/auth/password/reset/", {
      json: { email, reset_token: confirmed.body.data.reset_token, password1: password, password2: password },
    });
    expect(reset.status, reset.text).toBe(200);
    expect(await testDb().select().from(identities).where(eq(identities.userId, account.user_id))).toHaveLength(0);
    await messageTo(email, "Sign-ins were removed");
    // The stranger's sessions died with the reset, and their provider no longer signs in to it.
    expect(
      (await api("POST", "/auth/jwt/check/", { headers: { authorization: `Bearer ${made.body.data.access}` } })).status,
    ).toBe(401);
    expect((await devSignIn(email, false)).searchParams.get("error")).toBe("ACCOUNT_EXISTS");
  });
});

describe("the provider's outage", () => {
  it("answers a start with 503 (its discovery document did not come), not a configuration error", async () => {
    const res = await api(
      "GET",
      `/auth/oauth/down/start/?redirect_uri=${encodeURIComponent(APP)}&code_challenge=${await challengeOf(APP_VERIFIER)}`,
    );
    expectFailure(res, 503, "SERVICE_UNAVAILABLE");
  });
});
