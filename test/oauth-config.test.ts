// Sign-in-with settings: how providers are configured, what production refuses, and Sign in with
// Apple's client secret (a JWT signed with the team's .p8 key).
import { decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { readOAuthSettings } from "../src/oauth-config.ts";
import { appleClientSecret } from "../src/providers/oauth/apple-secret.ts";
import { endpointsOf } from "../src/providers/oauth/catalog.ts";
import { Browser, startFlow } from "./oauth-helpers.ts";

const pem = (label: string, der: ArrayBuffer) =>
  `-----BEGIN ${label}-----\n${btoa(String.fromCharCode(...new Uint8Array(der))).replace(/(.{64})/g, "$1\n")}\n-----END ${label}-----`;

const problemsOf = (vars: Record<string, string>, environment = "production") =>
  readOAuthSettings(vars, environment).problems.map((problem) => problem.variable);

describe("OAUTH_* settings", () => {
  it("builds the known providers and a generic OpenID provider from their variables", () => {
    const { settings, problems } = readOAuthSettings(
      {
        OAUTH_PROVIDERS: "google, Microsoft,okta",
        OAUTH_GOOGLE_CLIENT_ID: "web.apps.googleusercontent.com",
        OAUTH_GOOGLE_CLIENT_IDS: "ios.apps.googleusercontent.com,android.apps.googleusercontent.com",
        OAUTH_GOOGLE_CLIENT_SECRET: "s1",
        OAUTH_MICROSOFT_CLIENT_ID: "m",
        OAUTH_MICROSOFT_CLIENT_SECRET: "s2",
        OAUTH_MICROSOFT_TENANT: "organizations",
        OAUTH_OKTA_ISSUER: "https://example.okta.com/",
        OAUTH_OKTA_CLIENT_ID: "o",
        OAUTH_OKTA_CLIENT_SECRET: "s3",
        OAUTH_OKTA_NAME: "Okta",
        OAUTH_REDIRECT_URIS: "https://app.example.com/auth/done",
      },
      "production",
    );
    expect(problems).toEqual([]);
    expect(settings.providers.map((provider) => [provider.id, provider.kind, provider.name])).toEqual([
      ["google", "google", "Google"],
      ["microsoft", "microsoft", "Microsoft"],
      ["okta", "oidc", "Okta"],
    ]);
    expect(settings.providers[0]?.audiences).toEqual([
      "web.apps.googleusercontent.com",
      "ios.apps.googleusercontent.com",
      "android.apps.googleusercontent.com",
    ]);
    // Exactly as configured (with its slash): it is compared exactly with what the provider publishes.
    expect(settings.providers[2]?.issuer).toBe("https://example.okta.com/");
    expect(settings.redirects).toEqual({ allowed: ["https://app.example.com/auth/done"], wildcards: false });
  });

  it("names each missing or wrong variable (never its value), and keeps the dev provider out of production", () => {
    expect(problemsOf({ OAUTH_PROVIDERS: "google", OAUTH_REDIRECT_URIS: "https://a.example/" })).toEqual([
      "OAUTH_GOOGLE_CLIENT_ID",
      "OAUTH_GOOGLE_CLIENT_SECRET",
    ]);
    expect(
      problemsOf({
        OAUTH_PROVIDERS: "okta",
        OAUTH_OKTA_CLIENT_ID: "x",
        OAUTH_OKTA_CLIENT_SECRET: "y",
        OAUTH_OKTA_ISSUER: "http://idp.example",
      }),
    ).toContain("OAUTH_OKTA_ISSUER");
    expect(
      problemsOf({
        OAUTH_PROVIDERS: "apple",
        OAUTH_APPLE_CLIENT_ID: "com.example.web",
        OAUTH_REDIRECT_URIS: "https://a.example/",
      }),
    ).toEqual(["OAUTH_APPLE_TEAM_ID", "OAUTH_APPLE_KEY_ID", "OAUTH_APPLE_PRIVATE_KEY"]);
    expect(problemsOf({ OAUTH_PROVIDERS: "dev" })).toEqual(["OAUTH_PROVIDERS"]);
    expect(problemsOf({ OAUTH_PROVIDERS: "dev" }, "preview")).toEqual(["OAUTH_PROVIDERS"]);
    expect(
      problemsOf(
        {
          OAUTH_PROVIDERS: "dev",
          OAUTH_DEV_ISSUER: "http://127.0.0.1:1",
          OAUTH_DEV_CLIENT_ID: "a",
          OAUTH_DEV_CLIENT_SECRET: "b",
        },
        "development",
      ),
    ).toEqual([]);
  });

  it("refuses flows in production and preview without an allowlist, and wildcards outside development", () => {
    const google = { OAUTH_PROVIDERS: "google", OAUTH_GOOGLE_CLIENT_ID: "a", OAUTH_GOOGLE_CLIENT_SECRET: "b" };
    expect(problemsOf(google)).toEqual(["OAUTH_REDIRECT_URIS"]);
    expect(problemsOf(google, "preview")).toEqual(["OAUTH_REDIRECT_URIS"]);
    expect(problemsOf(google, "development")).toEqual([]);
    expect(problemsOf({ ...google, OAUTH_REDIRECT_URIS: "https://app.example.com/*" })).toEqual(["OAUTH_REDIRECT_URIS"]);
    expect(problemsOf({ ...google, OAUTH_REDIRECT_URIS: "https://app.example.com/*" }, "development")).toEqual([]);
    expect(problemsOf({ ...google, OAUTH_REDIRECT_URIS: "https://APP.example.com/x" })).toEqual(["OAUTH_REDIRECT_URIS"]);
  });

  it("checks Microsoft's issuer against the token's own tenant, and the tenant against the configuration", async () => {
    const microsoft = async (tenant: string) => {
      const vars = {
        OAUTH_PROVIDERS: "microsoft",
        OAUTH_MICROSOFT_CLIENT_ID: "a",
        OAUTH_MICROSOFT_CLIENT_SECRET: "b",
        OAUTH_MICROSOFT_TENANT: tenant,
      };
      const { settings, problems } = readOAuthSettings(vars, "test");
      expect(problems).toEqual([]);
      return endpointsOf(settings.providers[0] as NonNullable<(typeof settings.providers)[0]>, "scope");
    };
    const work = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const personal = "9188040d-6c67-4c5b-b112-36a304b66dad";
    const from = (tid: string) => [`https://login.microsoftonline.com/${tid}/v2.0`, { tid }] as const;
    const common = await microsoft("common");
    expect(common.issuedBy(...from(work))).toBe(true);
    expect(common.issuedBy(...from(personal))).toBe(true);
    expect(common.issuedBy(`https://login.microsoftonline.com/${work}/v2.0`, { tid: personal })).toBe(false);
    const organizations = await microsoft("organizations");
    expect(organizations.issuedBy(...from(work))).toBe(true);
    expect(organizations.issuedBy(...from(personal))).toBe(false);
    const consumers = await microsoft("consumers");
    expect(consumers.issuedBy(...from(personal))).toBe(true);
    expect(consumers.issuedBy(...from(work))).toBe(false);
    // A tenant id pins it, whatever its case in the configuration.
    const pinned = await microsoft(work.toUpperCase());
    expect(pinned.issuedBy(...from(work))).toBe(true);
    expect(pinned.issuedBy(...from("00000000-0000-0000-0000-000000000001"))).toBe(false);
    expect(pinned.authorization).toContain(`/${work}/`);
    // A domain name cannot be compared with a token's tenant id: refused.
    expect(
      problemsOf({
        OAUTH_PROVIDERS: "microsoft",
        OAUTH_MICROSOFT_CLIENT_ID: "a",
        OAUTH_MICROSOFT_CLIENT_SECRET: "b",
        OAUTH_MICROSOFT_TENANT: "contoso.onmicrosoft.com",
        OAUTH_REDIRECT_URIS: "https://a.example/",
      }),
    ).toEqual(["OAUTH_MICROSOFT_TENANT"]);
  });
});

describe("Sign in with Apple's client secret", () => {
  it("is an ES256 JWT from the team (iss) for the Services ID (sub) to Apple (aud), kid the key's, valid five minutes", async () => {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const privateKey = pem("PRIVATE KEY", (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer);
    const publicKey = pem("PUBLIC KEY", (await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
    const now = new Date();
    const secret = await appleClientSecret({ teamId: "TEAM123456", keyId: "KEY1234567", privateKey }, "com.example.web", now);
    expect(decodeProtectedHeader(secret)).toEqual({ alg: "ES256", kid: "KEY1234567" });
    const { payload } = await jwtVerify(secret, await importSPKI(publicKey, "ES256"), {
      issuer: "TEAM123456",
      subject: "com.example.web",
      audience: "https://appleid.apple.com",
      currentDate: now,
    });
    expect(Number(payload.exp) - Number(payload.iat)).toBe(300);
    // A key stored with its line breaks escaped (one-line secrets) works the same.
    const escaped = await appleClientSecret(
      { teamId: "TEAM123456", keyId: "KEY1234567", privateKey: privateKey.replace(/\n/g, "\\n") },
      "com.example.web",
      now,
    );
    await jwtVerify(escaped, await importSPKI(publicKey, "ES256"), { currentDate: now });
  });

  it("starts with form_post, the name and email scopes, a nonce and no PKCE (Apple documents none)", async () => {
    const url = await startFlow(new Browser(), "apple");
    expect(`${url.origin}${url.pathname}`).toBe("https://appleid.apple.com/auth/authorize");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: "code",
      response_mode: "form_post",
      scope: "name email",
      client_id: "com.example.web",
      redirect_uri: "https://api.test/auth/oauth/apple/callback",
    });
    expect(url.searchParams.get("nonce")).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.has("code_challenge")).toBe(false);
  });

  it("answers Apple's form_post by sending the browser to the GET callback, where the flow's SameSite cookie is sent", async () => {
    const browser = new Browser();
    const post = (provider: string, body: string, type: string) =>
      browser.go(`https://api.test/auth/oauth/${provider}/callback/`, {
        method: "POST",
        body,
        headers: { "content-type": type },
      });
    const form = new URLSearchParams({ state: "s", code: "c", user: '{"name":{}}' }).toString();
    const res = await post("apple", form, "application/x-www-form-urlencoded");
    expect(res.status).toBe(303);
    const next = new URL(String(res.headers.get("location")));
    expect(next.pathname).toBe("/auth/oauth/apple/callback");
    expect(Object.fromEntries(next.searchParams)).toEqual({ state: "s", code: "c" });
    expect((await post("apple", JSON.stringify({ state: "s" }), "application/json")).status).toBe(415);
    expect((await post("dev", form, "application/x-www-form-urlencoded")).status).toBe(415);
    expect((await post("dev", JSON.stringify({ state: "s" }), "application/json")).status).toBe(404);
  });
});
