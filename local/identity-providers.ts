// Identity providers for tests that the dev OpenID provider cannot play, over real HTTP:
//   - GitHub, as a GitHub Enterprise Server speaks it (OAUTH_GITHUB_BASE_URL points here): the
//     authorize page (which signs in whoever the query's `as` names, at once), the token endpoint
//     (client secret and PKCE checked, errors answered with 200 as GitHub does), and the API's
//     /user and /user/emails;
//   - an OpenID provider under /native whose signing keys the tests hold (handed over by the
//     setup), for native apps' ID tokens: discovery and JWKS only, the tests sign the tokens;
//   - one under /down that answers 503 to everything (a provider's outage).
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface GithubTestClient {
  clientId: string;
  clientSecret: string;
}

interface GithubUser {
  id: number;
  login: string;
  name: string;
  email: string;
  verified: boolean;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

const s256 = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

/** Keys the tests sign native ID tokens with; the server publishes their public halves. */
function nativeKeys() {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const publicJwk = (key: typeof rsa.publicKey, kid: string, alg: string) => ({
    ...key.export({ format: "jwk" }),
    kid,
    alg,
    use: "sig",
  });
  return {
    private: {
      rs256: { ...rsa.privateKey.export({ format: "jwk" }), kid: "native-rs", alg: "RS256" },
      es256: { ...ec.privateKey.export({ format: "jwk" }), kid: "native-ec", alg: "ES256" },
    },
    jwks: { keys: [publicJwk(rsa.publicKey, "native-rs", "RS256"), publicJwk(ec.publicKey, "native-ec", "ES256")] },
  };
}

export async function startIdentityProviders(github: GithubTestClient) {
  const codes = new Map<string, { user: GithubUser; challenge: string; redirectUri: string }>();
  const tokens = new Map<string, GithubUser>();
  const keys = nativeKeys();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (url.pathname === "/native/.well-known/openid-configuration")
      return json(res, 200, {
        issuer: `${base}/native`,
        authorization_endpoint: `${base}/native/authorize`,
        token_endpoint: `${base}/native/token`,
        jwks_uri: `${base}/native/jwks`,
      });
    if (url.pathname === "/native/jwks") return json(res, 200, keys.jwks);
    // A provider having an outage: everything under /down answers 503.
    if (url.pathname.startsWith("/down/")) return json(res, 503, { error: "temporarily_unavailable" });
    if (url.pathname === "/login/oauth/authorize") {
      const params = url.searchParams;
      if (params.get("client_id") !== github.clientId) return json(res, 400, { error: "unknown client" });
      const email = params.get("as") ?? "octocat@example.com";
      const user: GithubUser = {
        id: Number(params.get("id") ?? createHash("sha256").update(email).digest().readUInt32BE(0)),
        login: email.split("@")[0] ?? "octocat",
        name: params.get("name") ?? "Mona Lisa Octocat",
        email,
        verified: params.get("verified") !== "0",
      };
      const code = randomBytes(16).toString("hex");
      codes.set(code, { user, challenge: params.get("code_challenge") ?? "", redirectUri: params.get("redirect_uri") ?? "" });
      const back = new URL(params.get("redirect_uri") ?? "");
      back.searchParams.set("code", code);
      back.searchParams.set("state", params.get("state") ?? "");
      res.writeHead(302, { location: back.toString() });
      return res.end();
    }
    if (url.pathname === "/login/oauth/access_token" && req.method === "POST") {
      const form = new URLSearchParams(await readBody(req));
      const expected = `Basic ${Buffer.from(`${github.clientId}:${github.clientSecret}`).toString("base64")}`;
      if (req.headers.authorization !== expected) return json(res, 200, { error: "incorrect_client_credentials" });
      const grant = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      if (!grant || grant.redirectUri !== form.get("redirect_uri") || s256(form.get("code_verifier") ?? "") !== grant.challenge)
        return json(res, 200, { error: "bad_verification_code" });
      const token = `gho_${randomBytes(16).toString("hex")}`;
      tokens.set(token, grant.user);
      return json(res, 200, { access_token: token, token_type: "bearer", scope: "read:user,user:email" });
    }
    const user = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
    if (url.pathname.startsWith("/api/v3/") && !user) return json(res, 401, { message: "Bad credentials" });
    if (user && url.pathname === "/api/v3/user") return json(res, 200, { id: user.id, login: user.login, name: user.name });
    if (user && url.pathname === "/api/v3/user/emails")
      return json(res, 200, [
        { email: `${user.login}@users.noreply.example.com`, primary: false, verified: true, visibility: null },
        { email: user.email, primary: true, verified: user.verified, visibility: "public" },
      ]);
    json(res, 404, { message: "Not Found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    nativeKeys: keys.private,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
