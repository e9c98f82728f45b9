// The local OpenID provider (local/dev-oidc-provider.ts) that sign-in-with flows are developed and
// tested against: the whole authorization code flow with PKCE, as a browser and a client would
// run it, and its ID token checked with jose against its published keys.
import { createRemoteJWKSet, jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import { DEV_OIDC_TEST_CLIENT } from "../local/dev-oidc-clients.ts";

const issuer = inject("oidcIssuer");
const client = DEV_OIDC_TEST_CLIENT;
const redirectUri = client.redirect_uris[0] as string;

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

/** A browser: follows nothing by itself, keeps the provider's cookies. */
class Browser {
  private readonly cookies = new Map<string, string>();

  async go(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    const res = await fetch(new URL(url, issuer), { ...init, headers, redirect: "manual" });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return res;
  }
}

async function discovery() {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  expect(res.status).toBe(200);
  return (await res.json()) as { authorization_endpoint: string; token_endpoint: string; jwks_uri: string; issuer: string };
}

/** Signs `email` in through the provider's form; returns what came back to the redirect URI. */
async function authorize(email: string, verified: boolean, challenge: string) {
  const { authorization_endpoint } = await discovery();
  const browser = new Browser();
  const start = new URL(authorization_endpoint);
  const params = { client_id: client.client_id, redirect_uri: redirectUri, response_type: "code", scope: "openid email" };
  for (const [name, value] of Object.entries({
    ...params,
    state: "the-state",
    nonce: "the-nonce",
    code_challenge: challenge,
    code_challenge_method: "S256",
  }))
    start.searchParams.set(name, value);
  const toForm = await browser.go(start);
  expect(toForm.status).toBe(303);
  const formUrl = String(toForm.headers.get("location"));
  const page = await (await browser.go(formUrl)).text();
  expect(page).toContain('name="email"');
  expect(page).toContain('name="email_verified"');
  const form = new URLSearchParams({ email, ...(verified ? { email_verified: "on" } : {}) });
  const submitted = await browser.go(formUrl, {
    method: "POST",
    body: form,
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  const back = await browser.go(String(submitted.headers.get("location")));
  expect(back.status).toBe(303);
  return new URL(String(back.headers.get("location")));
}

async function pkce() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return { verifier, challenge };
}

const redeem = async (code: string, verifier: string) =>
  fetch((await discovery()).token_endpoint, {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier }),
  });

describe("the dev OpenID provider", () => {
  it("runs the authorization code flow with PKCE: its ID token carries the address, whether it is verified, and the nonce", async () => {
    const { verifier, challenge } = await pkce();
    const callback = await authorize("Dev.User@example.com", true, challenge);
    expect(`${callback.origin}${callback.pathname}`).toBe(redirectUri);
    expect(callback.searchParams.get("state")).toBe("the-state");
    expect(callback.searchParams.get("iss")).toBe(issuer);
    const res = await redeem(String(callback.searchParams.get("code")), verifier);
    expect(res.status).toBe(200);
    const { id_token } = (await res.json()) as { id_token: string };
    const { jwks_uri } = await discovery();
    const { payload, protectedHeader } = await jwtVerify(id_token, createRemoteJWKSet(new URL(jwks_uri)), {
      issuer,
      audience: client.client_id,
    });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload).toMatchObject({ email: "Dev.User@example.com", email_verified: true, nonce: "the-nonce" });
    // The same address is the same subject; another is another.
    const again = await redeem(
      String((await authorize("dev.user@example.com", false, challenge)).searchParams.get("code")),
      verifier,
    );
    const second = (
      await jwtVerify(((await again.json()) as { id_token: string }).id_token, createRemoteJWKSet(new URL(jwks_uri)))
    ).payload;
    expect(second.sub).toBe(payload.sub);
    expect(second.email_verified).toBe(false);
  });

  it("refuses a code redeemed with another PKCE verifier, and a code redeemed twice", async () => {
    const { verifier, challenge } = await pkce();
    const code = String((await authorize("pkce@example.com", true, challenge)).searchParams.get("code"));
    expect((await redeem(code, (await pkce()).verifier)).status).toBe(400);
    const fresh = String((await authorize("pkce@example.com", true, challenge)).searchParams.get("code"));
    expect((await redeem(fresh, verifier)).status).toBe(200);
    expect((await redeem(fresh, verifier)).status).toBe(400);
  });
});
