// Mail and SMS providers, as a provider's server sees them (a local fake that records requests),
// retries, and the dev outbox's absence outside development.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../src/app.ts";
import wranglerToml from "../wrangler.toml?raw";
import { api, buildRequest, eventually, expectFailure, LOOPBACK, readResponse, userWithSession } from "./helpers.ts";

const fake = inject("fakeProvidersUrl");

interface Recorded {
  method: string;
  path: string;
  authorization: string;
  contentType: string;
  body: string;
  status: number;
}

async function requestsMentioning(text: string, atLeast = 1): Promise<Recorded[]> {
  for (let i = 0; i < 100; i++) {
    const all = (await (await fetch(`${fake}/__requests`)).json()) as Recorded[];
    const matching = all.filter((r) => r.body.includes(text) || decodeURIComponent(r.body).includes(text));
    if (matching.length >= atLeast) return matching;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  return [];
}

// Without the queue binding, the request sends by itself (one retry): these tests look at the
// providers' payloads. test/delivery-queue.test.ts covers the queue.
const providerEnv = {
  ...env,
  DELIVERY_QUEUE: undefined,
  EMAIL_PROVIDER: "resend",
  RESEND_API_KEY: "re_test_key",
  RESEND_API_URL: fake,
  EMAIL_FROM: "LoginSystem Edge <auth@example.test>",
  SMS_PROVIDER: "twilio",
  TWILIO_ACCOUNT_SID: "AC0123456789",
  TWILIO_AUTH_TOKEN: "twilio-secret",
  TWILIO_FROM: "+15005550006",
  TWILIO_API_URL: fake,
};

describe("email through Resend's API", () => {
  it("posts the message as Resend expects it", async () => {
    const { user } = await userWithSession();
    const app = createApp();
    const res = await readResponse(
      app.fetch(buildRequest("POST", "/auth/password/forget/", { json: { email: user.email } }), providerEnv),
    );
    expect(res.status).toBe(200);
    const [sent] = await requestsMentioning(user.email);
    expect(sent).toMatchObject({ method: "POST", path: "/emails", authorization: "Bearer re_test_key", status: 200 });
    expect(sent?.contentType).toContain("application/json");
    const payload = JSON.parse(sent?.body ?? "{}");
    expect(payload).toMatchObject({
      from: "LoginSystem Edge <auth@example.test>",
      to: [user.email],
      subject: "Your LoginSystem Edge password reset code",
    });
    expect(payload.text).toMatch(/\b\d{6}\b/);
    expect(payload.html).toContain("<p>");
    expect(payload.text).not.toContain(user.password);
  });

  it("retries a failed send once (without a queue)", async () => {
    const { user } = await userWithSession({
      username: `flaky_${Date.now().toString(36)}`,
      email: `flaky.${Date.now().toString(36)}@example.com`,
    });
    const app = createApp();
    await app.fetch(buildRequest("POST", "/auth/password/forget/", { json: { email: user.email } }), providerEnv);
    const attempts = await requestsMentioning(user.email, 2);
    expect(attempts.map((a) => a.status)).toEqual([503, 200]);
  });

  it("gives up after one retry (and logs it), never more (without a queue)", async () => {
    const name = `always-fail_${Date.now().toString(36)}`;
    const { user } = await userWithSession({ username: name, email: `${name}@example.com` });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const app = createApp();
    await app.fetch(buildRequest("POST", "/auth/password/forget/", { json: { email: user.email } }), providerEnv);
    // The final failure is logged when the sending task ends: after that line, no try can follow.
    const gaveUp = await eventually(async () =>
      errors.mock.calls.some((call) =>
        /"event":"background_task_failed".*"task":"sending password reset code email"/.test(String(call[0])),
      ),
    );
    errors.mockRestore();
    expect(gaveUp).toBe(true);
    expect((await requestsMentioning(user.email)).map((a) => a.status)).toEqual([500, 500]);
  });
});

describe("SMS through Twilio's API", () => {
  it("posts a form to the account's Messages resource with Basic auth", async () => {
    const { session } = await userWithSession({ country_alpha_code: "IN", phone_number: "9812345670" });
    const app = createApp();
    const res = await readResponse(
      app.fetch(
        buildRequest("POST", "/auth/verify/phone/", { headers: { authorization: `Bearer ${session.access}` } }),
        providerEnv,
      ),
    );
    expect(res.status).toBe(200);
    const [sent] = await requestsMentioning("+919812345670");
    expect(sent).toMatchObject({ method: "POST", path: "/2010-04-01/Accounts/AC0123456789/Messages.json", status: 200 });
    expect(sent?.authorization).toBe(`Basic ${btoa("AC0123456789:twilio-secret")}`);
    expect(sent?.contentType).toBe("application/x-www-form-urlencoded");
    const form = new URLSearchParams(sent?.body);
    expect(form.get("To")).toBe("+919812345670");
    expect(form.get("From")).toBe("+15005550006");
    expect(form.get("Body")).toMatch(/verification code is \d{6}/);
  });
});

describe("GET /dev/outbox", () => {
  it("lists recent messages newest first in development and test", async () => {
    const { user } = await userWithSession();
    await api("POST", "/auth/password/forget/", { json: { email: user.email } });
    for (let i = 0; i < 50; i++) {
      const res = await api("GET", `/dev/outbox?to=${encodeURIComponent(user.email)}`, { origin: LOOPBACK });
      if (res.body.data.messages.length > 0) {
        expect(res.body.data.messages[0]).toMatchObject({ to: user.email, subject: expect.stringContaining("password reset") });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    throw new Error("no message arrived");
  });

  it("does not exist outside development (404 for every method)", async () => {
    const app = createApp();
    for (const ENVIRONMENT of ["production", "preview"]) {
      // The tests' sign-in settings (the dev provider, a wildcard redirect) are refused in production.
      const target = {
        ...providerEnv,
        ENVIRONMENT,
        WEBAUTHN_RP_ID: "example.com",
        WEBAUTHN_ORIGINS: "https://example.com",
        OAUTH_PROVIDERS: "",
        OAUTH_REDIRECT_URIS: "",
      };
      const get = buildRequest("GET", "/dev/outbox?to=a@b.c", { origin: LOOPBACK });
      expectFailure(await readResponse(app.fetch(get, target)), 404, "NOT_FOUND");
      expectFailure(
        await readResponse(app.fetch(buildRequest("POST", "/dev/outbox", { origin: LOOPBACK }), target)),
        404,
        "NOT_FOUND",
      );
    }
  });

  it("answers only requests addressed to this machine, even in development", async () => {
    const app = createApp();
    const target = { ...env, ENVIRONMENT: "development" };
    for (const origin of ["https://api.example.com", "http://10.0.0.8:8787", "https://127.0.0.1.example.com"]) {
      const res = await readResponse(app.fetch(buildRequest("GET", "/dev/outbox?to=a@b.c", { origin }), target));
      expectFailure(res, 404, "NOT_FOUND");
    }
    for (const origin of [LOOPBACK, "http://localhost:8787", "http://[::1]:8787"]) {
      expect((await readResponse(app.fetch(buildRequest("GET", "/dev/outbox?to=a@b.c", { origin }), target))).status).toBe(200);
    }
  });

  it("wrangler.toml's top level (what a bare `wrangler deploy` ships) refuses to serve without production secrets", async () => {
    const topLevel = wranglerToml.slice(
      wranglerToml.indexOf("[vars]"),
      wranglerToml.indexOf("\n[[", wranglerToml.indexOf("[vars]")),
    );
    const vars = Object.fromEntries([...topLevel.matchAll(/^(\w+) = "([^"]*)"$/gm)].map((m) => [m[1], m[2]]));
    expect(vars).toMatchObject({ ENVIRONMENT: "production", EMAIL_PROVIDER: "resend", SMS_PROVIDER: "twilio", CORS_ORIGINS: "" });
    const secrets = {
      DATABASE_URL: env.DATABASE_URL,
      UPSTASH_REDIS_REST_URL: env.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: env.UPSTASH_REDIS_REST_TOKEN,
      JWT_PRIVATE_KEY: env.JWT_PRIVATE_KEY,
    };
    const app = createApp();
    expectFailure(await readResponse(app.fetch(buildRequest("GET", "/health"), { ...secrets, ...vars })), 500, "CONFIG_ERROR");
    // With its provider secrets it serves, as production: no outbox, not even on loopback.
    const complete = {
      ...secrets,
      ...vars,
      RESEND_API_KEY: "re_x",
      TWILIO_ACCOUNT_SID: "AC1",
      TWILIO_AUTH_TOKEN: "t",
      TWILIO_FROM: "+15005550006",
    };
    // Passkeys need the site's domain and origins: no default outside development.
    expectFailure(await readResponse(app.fetch(buildRequest("GET", "/health"), complete)), 500, "CONFIG_ERROR");
    Object.assign(complete, { WEBAUTHN_RP_ID: "example.com", WEBAUTHN_ORIGINS: "https://example.com" });
    expect((await readResponse(app.fetch(buildRequest("GET", "/health"), complete))).status).toBe(200);
    const outboxRes = await readResponse(app.fetch(buildRequest("GET", "/dev/outbox?to=a@b.c", { origin: LOOPBACK }), complete));
    expectFailure(outboxRes, 404, "NOT_FOUND");
  });

  it("refuses the log providers in production (they would put codes in logs)", async () => {
    const app = createApp();
    const res = await readResponse(app.fetch(buildRequest("GET", "/health"), { ...env, ENVIRONMENT: "production" }));
    expectFailure(res, 500, "CONFIG_ERROR");
    const missingKey = await readResponse(app.fetch(buildRequest("GET", "/health"), { ...env, EMAIL_PROVIDER: "resend" }));
    expectFailure(missingKey, 500, "CONFIG_ERROR");
  });
});
