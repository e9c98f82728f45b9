// Native apps (Google's and Apple's SDKs) sign in on the device and hand over an ID token:
// POST /auth/oauth/{provider}/id-token/. Tested with a provider whose signing keys the tests hold
// (local/identity-providers.ts publishes their public halves): every way an ID token can be wrong.
import { base64url, importJWK, type JWTPayload, SignJWT } from "jose";
import { describe, expect, inject, it } from "vitest";
import { api, bearer, expectFailure, uniqueName, userWithSession, verifyEmailAddress } from "./helpers.ts";

const ISSUER = `${inject("identityProvidersUrl")}/native`;
const KEYS = inject("nativeIdpKeys");

async function idToken(claims: JWTPayload, options: { alg?: "RS256" | "ES256"; kid?: string; exp?: number } = {}) {
  const alg = options.alg ?? "RS256";
  const jwk = alg === "RS256" ? KEYS.rs256 : KEYS.es256;
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: ISSUER,
    aud: "native-web-client",
    sub: `sub-${uniqueName("n")}`,
    iat: now,
    exp: options.exp ?? now + 600,
    email_verified: true,
    ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg, kid: options.kid ?? String(jwk.kid) }).sign(await importJWK(jwk, alg));
}

const send = (json: Record<string, unknown>, provider = "native") => api("POST", `/auth/oauth/${provider}/id-token/`, { json });
const emailOf = (name: string) => `${name}@example.com`;

describe("POST /auth/oauth/{provider}/id-token/", () => {
  it("signs up and in with an ID token from the provider's SDK; the same subject is the same account", async () => {
    const sub = `sub-${uniqueName("same")}`;
    const email = emailOf(uniqueName("native"));
    const first = await send({ id_token: await idToken({ sub, email, nonce: "n-1" }), nonce: "n-1" });
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.access).toBeTypeOf("string");
    const second = await send({ id_token: await idToken({ sub, email, nonce: "n-2" }, { alg: "ES256" }), nonce: "n-2" });
    expect(second.status, second.text).toBe(200);
    const who = async (access: string) => (await api("GET", "/profile/", { headers: bearer(access) })).body.data.user.user_id;
    expect(await who(second.body.data.access)).toBe(await who(first.body.data.access));
  });

  it("accepts the native apps' own client ids as the audience, and Apple's hashed nonce", async () => {
    const nonce = "raw-nonce-the-app-kept";
    const hashed = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(nonce))))
      .map((byte) => byte.toString(16).padStart(2, "0"))
      .join("");
    const token = await new SignJWT({ email: emailOf(uniqueName("ios")), email_verified: "true", nonce: hashed })
      .setProtectedHeader({ alg: "RS256", kid: String(KEYS.rs256.kid) })
      .setIssuer(ISSUER)
      .setAudience("native-ios-client")
      .setSubject(`sub-${uniqueName("ios")}`)
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(await importJWK(KEYS.rs256, "RS256"));
    const res = await send({ id_token: token, nonce });
    expect(res.status, res.text).toBe(200);
    const profile = await api("GET", "/profile/", { headers: bearer(res.body.data.access) });
    expect(profile.body.data.user.is_email_verified).toBe(true);
  });

  it("signs each ID token in once (a replayed token is refused)", async () => {
    const token = await idToken({ email: emailOf(uniqueName("replay")), nonce: "once" });
    expect((await send({ id_token: token, nonce: "once" })).status).toBe(200);
    expectFailure(await send({ id_token: token, nonce: "once" }), 401, "INVALID_CREDENTIALS");
  });

  const refusals: [string, () => Promise<string>, string | undefined][] = [
    ["for another audience", async () => idToken({ email: emailOf("a"), aud: "someone-elses-app" }), undefined],
    [
      "with several audiences and an authorized party (azp) that is not ours",
      async () => idToken({ email: emailOf("a"), aud: ["native-web-client", "other"], azp: "other" }),
      undefined,
    ],
    ["expired", async () => idToken({ email: emailOf("a") }, { exp: Math.floor(Date.now() / 1000) - 120 }), undefined],
    ["with a wrong nonce", async () => idToken({ email: emailOf("a"), nonce: "theirs" }), "mine"],
    ["with a nonce when the app sent none", async () => idToken({ email: emailOf("a"), nonce: "theirs" }), undefined],
    ["without the nonce the app sent", async () => idToken({ email: emailOf("a") }), "mine"],
    ["from another issuer (mix-up)", async () => idToken({ email: emailOf("a"), iss: "https://accounts.google.com" }), undefined],
    [
      "signed by a key the provider does not publish",
      async () => idToken({ email: emailOf("a") }, { kid: "unknown-kid" }),
      undefined,
    ],
    [
      "unsigned (alg none)",
      async () => {
        const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
        const now = Math.floor(Date.now() / 1000);
        const body = base64url.encode(
          JSON.stringify({ iss: ISSUER, aud: "native-web-client", sub: "x", iat: now, exp: now + 600, email: emailOf("a") }),
        );
        return `${header}.${body}.`;
      },
      undefined,
    ],
    [
      "signed with HS256 (a shared secret anyone holding the public key might try)",
      async () => {
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ email: emailOf("a"), email_verified: true })
          .setProtectedHeader({ alg: "HS256", kid: String(KEYS.rs256.kid) })
          .setIssuer(ISSUER)
          .setAudience("native-web-client")
          .setSubject("x")
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .sign(new TextEncoder().encode(String(KEYS.rs256.n)));
      },
      undefined,
    ],
    ["that is not a JWT", async () => "not.a.jwt", undefined],
  ];
  for (const [what, make, nonce] of refusals)
    it(`refuses an ID token ${what} with 401`, async () => {
      expectFailure(await send({ id_token: await make(), ...(nonce ? { nonce } : {}) }), 401, "INVALID_CREDENTIALS");
    });

  it("answers 409 ACCOUNT_EXISTS for an unverified address that belongs to an account", async () => {
    const { user, session } = await userWithSession();
    await verifyEmailAddress(user.email, session.access);
    const res = await send({ id_token: await idToken({ email: user.email, email_verified: false }) });
    expectFailure(res, 409, "ACCOUNT_EXISTS");
  });

  it("answers 404 for a provider without ID tokens, or one not enabled, and 400 for a malformed body", async () => {
    expectFailure(await send({ id_token: "x.y.z" }, "github"), 404, "NOT_FOUND");
    expectFailure(await send({ id_token: "x.y.z" }, "google"), 404, "NOT_FOUND");
    expectFailure(await send({}), 400, "VALIDATION_ERROR");
    const prototypeKey = await api("POST", "/auth/oauth/native/id-token/", {
      body: '{"id_token":"x.y.z","__proto__":{"admin":true}}',
      headers: { "content-type": "application/json" },
    });
    expectFailure(prototypeKey, 400, "VALIDATION_ERROR");
  });
});

describe("what a native ID token cannot do", () => {
  it("sign in twice under another encoding of its signature (the spare bits of its last character)", async () => {
    const token = await idToken({ email: emailOf(uniqueName("bits")), nonce: "spare" });
    const [header, payload, signature = ""] = token.split(".");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.slice(-1));
    // 256 signature bytes in 342 characters: the last one carries 4 bits that decode to nothing.
    const variant = `${header}.${payload}.${signature.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect((await send({ id_token: token, nonce: "spare" })).status).toBe(200);
    expectFailure(await send({ id_token: variant, nonce: "spare" }), 401, "INVALID_CREDENTIALS");
  });

  it("tell subjects apart by case: a provider's subject is exact", async () => {
    const base = `Case-${uniqueName("sub")}`;
    const first = await send({ id_token: await idToken({ sub: base.toUpperCase(), email: emailOf(uniqueName("upper")) }) });
    const second = await send({ id_token: await idToken({ sub: base.toLowerCase(), email: emailOf(uniqueName("lower")) }) });
    expect(first.status, first.text).toBe(200);
    expect(second.status, second.text).toBe(200);
    const who = async (access: string) => (await api("GET", "/profile/", { headers: bearer(access) })).body.data.user.user_id;
    expect(await who(second.body.data.access)).not.toBe(await who(first.body.data.access));
  });

  it("answers 503 while the provider's keys cannot be fetched (an outage, not a bad token)", async () => {
    expectFailure(await send({ id_token: await idToken({ email: emailOf("x") }) }, "down"), 503, "SERVICE_UNAVAILABLE");
  });
});
