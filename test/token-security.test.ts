// How access and refresh tokens are verified: every forgery and mix-up is refused.
import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { generateSigningKey, loadSigningKeys, type PrivateJwk } from "../src/lib/signing-keys.ts";
import { api, bearer, buildRequest, decodeJwt, expectFailure, readResponse, userWithSession } from "./helpers.ts";

const check = (token: string) => api("POST", "/auth/jwt/check/", { headers: bearer(token) });
const privateJwk = () => JSON.parse(String(env.JWT_PRIVATE_KEY)) as PrivateJwk;

function b64url(value: unknown) {
  return btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Signs `payload` with the service's own key, but with the given header and claims. */
async function signWithServiceKey(payload: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const keys = await loadSigningKeys(privateJwk(), []);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: keys.signing.kid, ...header })
    .sign(keys.signing.key);
}

async function expectInvalid(token: string) {
  const res = await check(token);
  expectFailure(res, 401, "INVALID_TOKEN");
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
}

describe("POST /auth/jwt/check/", () => {
  it("answers the token's user and expiry", async () => {
    const { user, session } = await userWithSession();
    const res = await check(session.access);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: true, message: "jwt successful" });
    expect(res.body.data).toMatchObject({ user_id: user.id, username: user.username, email: user.email });
    expect(Date.parse(res.body.data.expires_at)).toBe(decodeJwt(session.access).payload.exp * 1000);
  });

  it("answers 401 NOT_AUTHENTICATED with a Bearer challenge without a Bearer token", async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: "Basic dXNlcjpwYXNz" },
      { authorization: "Bearer" },
      { authorization: "Bearer a b" },
    ];
    for (const headers of attempts) {
      const res = await api("POST", "/auth/jwt/check/", { headers });
      expectFailure(res, 401, "NOT_AUTHENTICATED");
      expect(res.body.message).toBe("authentication required");
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    }
  });
});

describe("access token verification", () => {
  it("refuses alg none", async () => {
    const { session } = await userWithSession();
    const [, payload] = session.access.split(".");
    await expectInvalid(`${b64url({ alg: "none", typ: "at+jwt" })}.${payload}.`);
  });

  it("refuses a token with one signature character flipped", async () => {
    const { session } = await userWithSession();
    const index = session.access.length - 5;
    const flipped = session.access[index] === "A" ? "B" : "A";
    await expectInvalid(session.access.slice(0, index) + flipped + session.access.slice(index + 1));
  });

  it("refuses an edited payload carrying the old signature", async () => {
    const { session } = await userWithSession();
    const other = await userWithSession();
    const [header, payload, signature] = session.access.split(".");
    const claims = JSON.parse(atob(String(payload).replace(/-/g, "+").replace(/_/g, "/")));
    await expectInvalid(`${header}.${b64url({ ...claims, sub: other.user.id, user_id: other.user.id })}.${signature}`);
  });

  it("refuses the wrong issuer, audience or type, even when correctly signed", async () => {
    const { session } = await userWithSession();
    const claims = decodeJwt(session.access).payload;
    await expectInvalid(await signWithServiceKey({ ...claims, iss: "someone-else" }));
    await expectInvalid(await signWithServiceKey({ ...claims, aud: "another-api" }));
    await expectInvalid(await signWithServiceKey(claims, { typ: "JWT" }));
    await expectInvalid(await signWithServiceKey({ ...claims, token_type: "refresh" }));
    // And the original claims re-signed are accepted: the tests above fail for the right reason.
    expect((await check(await signWithServiceKey(claims))).status).toBe(200);
  });

  it("refuses an unknown kid and headers that name their own key (jku, jwk, x5u)", async () => {
    const { session } = await userWithSession();
    const claims = decodeJwt(session.access).payload;
    await expectInvalid(await signWithServiceKey(claims, { kid: "no-such-key" }));
    await expectInvalid(await signWithServiceKey(claims, { jku: "https://evil.example/jwks.json" }));
    await expectInvalid(await signWithServiceKey(claims, { jwk: { kty: "OKP", crv: "Ed25519", x: privateJwk().x } }));
    await expectInvalid(await signWithServiceKey(claims, { x5u: "https://evil.example/cert.pem" }));
  });

  it("refuses a token signed by a different key carrying our kid", async () => {
    const { session } = await userWithSession();
    const attacker = await generateSigningKey();
    const keys = await loadSigningKeys({ ...attacker.privateJwk, kid: privateJwk().kid }, []);
    const forged = await new SignJWT(decodeJwt(session.access).payload)
      .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: privateJwk().kid })
      .sign(keys.signing.key);
    await expectInvalid(forged);
  });

  it("refuses a refresh token used as an access token", async () => {
    const { session } = await userWithSession();
    await expectInvalid(session.refresh);
  });

  it("refuses an access token used as a refresh token", async () => {
    const { session } = await userWithSession();
    for (const path of ["/auth/jwt/get-access/", "/auth/jwt/get-refresh/"]) {
      expectFailure(await api("POST", path, { json: { refresh: session.access } }), 400, "INVALID_REFRESH_TOKEN");
    }
  });

  it("refuses expired and not-yet-valid tokens (clock injected), allowing 30 s of skew", async () => {
    const { session } = await userWithSession();
    const at = (offsetSeconds: number) => {
      const app = createApp({ clock: { now: () => new Date(Date.now() + offsetSeconds * 1000) } });
      return readResponse(app.fetch(buildRequest("POST", "/auth/jwt/check/", { headers: bearer(session.access) }), env));
    };
    expect((await at(900 + 20)).status).toBe(200);
    expectFailure(await at(900 + 40), 401, "INVALID_TOKEN");
    expect((await at(-20)).status).toBe(200);
    expectFailure(await at(-60), 401, "INVALID_TOKEN");
  });

  it("keeps accepting tokens of a rotated-out key listed in JWT_PUBLIC_KEYS", async () => {
    const { session } = await userWithSession();
    const next = await generateSigningKey();
    const { d: _secret, ...oldPublic } = privateJwk();
    const rotated = { ...env, JWT_PRIVATE_KEY: JSON.stringify(next.privateJwk), JWT_PUBLIC_KEYS: JSON.stringify([oldPublic]) };
    const app = createApp();
    const res = await readResponse(
      await app.fetch(buildRequest("POST", "/auth/jwt/check/", { headers: bearer(session.access) }), rotated),
    );
    expect(res.status).toBe(200);
    const jwks = await readResponse(await app.fetch(buildRequest("GET", "/.well-known/jwks.json"), rotated));
    expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).toEqual([next.privateJwk.kid, oldPublic.kid]);
    // Without the old public key, the same token is refused.
    const withoutOld = { ...env, JWT_PRIVATE_KEY: JSON.stringify(next.privateJwk) };
    const refused = await readResponse(
      await app.fetch(buildRequest("POST", "/auth/jwt/check/", { headers: bearer(session.access) }), withoutOld),
    );
    expectFailure(refused, 401, "INVALID_TOKEN");
  });
});

describe("GET /.well-known/jwks.json", () => {
  it("publishes the public keys only, as a bare JWK Set, cacheable", async () => {
    const res = await api("GET", "/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      keys: [{ kty: "OKP", crv: "Ed25519", x: privateJwk().x, kid: privateJwk().kid, alg: "EdDSA", use: "sig" }],
    });
    expect(res.text).not.toContain('"d"');
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
  });

  it("verifies our access tokens with jose alone, as another Worker would", async () => {
    const { createLocalJWKSet, jwtVerify } = await import("jose");
    const { session, user } = await userWithSession();
    const jwks = createLocalJWKSet((await api("GET", "/.well-known/jwks.json")).body);
    const { payload } = await jwtVerify(session.access, jwks, {
      issuer: "loginsystem-edge",
      audience: "loginsystem-edge",
      typ: "at+jwt",
      algorithms: ["EdDSA"],
    });
    expect(payload.sub).toBe(user.id);
  });
});

describe("configuration of keys", () => {
  it("answers CONFIG_ERROR for a missing or malformed signing key", async () => {
    const app = createApp();
    for (const JWT_PRIVATE_KEY of [undefined, "not json", '{"kty":"RSA"}', JSON.stringify({ ...privateJwk(), d: undefined })]) {
      const res = await readResponse(await app.fetch(buildRequest("GET", "/health"), { ...env, JWT_PRIVATE_KEY }));
      expectFailure(res, 500, "CONFIG_ERROR");
    }
  });
});
