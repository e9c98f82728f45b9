// A real OpenID Connect provider for development and tests: `oidc-provider` (the certified Node
// implementation), never part of the worker. Its sign-in page is one form: an email address and
// an "email verified" checkbox; submitting it signs that identity in (the subject is derived from
// the address, so the same address is the same identity) and grants consent. Authorization code
// flow with PKCE (S256), ID tokens signed with its own RS256 key, published at its JWKS.
import { createHash, generateKeyPairSync } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";
import type { DevOidcClient } from "./dev-oidc-clients.ts";

interface Identity {
  email: string;
  email_verified: boolean;
}

/** oidc-provider's storage, in this process's memory (the provider's own one warns at every start). */
class MemoryAdapter {
  private static readonly store = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  private readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  private key(id: string) {
    return `${this.name}:${id}`;
  }

  async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
    MemoryAdapter.store.set(this.key(id), { payload, expiresAt: Date.now() + expiresIn * 1000 });
  }

  async find(id: string) {
    const entry = MemoryAdapter.store.get(this.key(id));
    return entry && entry.expiresAt > Date.now() ? entry.payload : undefined;
  }

  async findByUid(uid: string) {
    for (const [key, entry] of MemoryAdapter.store)
      if (key.startsWith(`${this.name}:`) && entry.payload.uid === uid) return this.find(key.slice(this.name.length + 1));
    return undefined;
  }

  async findByUserCode() {
    return undefined;
  }

  async consume(id: string) {
    const entry = MemoryAdapter.store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string) {
    MemoryAdapter.store.delete(this.key(id));
  }

  async revokeByGrantId(grantId: string) {
    for (const [key, entry] of MemoryAdapter.store) if (entry.payload.grantId === grantId) MemoryAdapter.store.delete(key);
  }
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > 10_000) req.destroy();
    });
    req.on("end", () => resolve(new URLSearchParams(body)));
    req.on("error", reject);
  });
}

/** The subject of an address: stable, and not the address itself. */
export const devSubject = (email: string) => createHash("sha256").update(email.trim().toLowerCase()).digest("hex").slice(0, 32);

export async function startDevOidcProvider(options: { clients: DevOidcClient[]; port?: number }) {
  const identities = new Map<string, Identity>();
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
  const provider = new Provider(issuer, {
    adapter: MemoryAdapter,
    jwks: { keys: [{ ...signingKey, kid: "dev", alg: "RS256", use: "sig" }] },
    clients: options.clients.map((client) => ({
      ...client,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    })),
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    scopes: ["openid", "email"],
    pkce: { required: () => true },
    // The email claims in the ID token itself, as Google and Apple send them.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ["loginsystem-edge-dev-oidc-provider-cookie-key"] },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, sub: string) => {
      const identity = identities.get(sub);
      if (!identity) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...identity }) };
    },
    // Short-lived tokens; nothing of this provider outlives the process.
    ttl: { AccessToken: 600, AuthorizationCode: 120, IdToken: 600, Interaction: 600, Session: 600, Grant: 600 },
  });

  const callback = provider.callback();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interaction\/([\w-]+)$/.exec((req.url ?? "").split("?")[0] ?? "");
    if (!match) return callback(req, res);
    interact(req, res).catch((error: unknown) => {
      res.writeHead(400, { "content-type": "text/plain" });
      res.end(`interaction failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  });

  async function interact(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    if (req.method === "GET") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html><head><title>Dev OpenID provider</title></head><body>
<h1>Dev OpenID provider</h1><p>Sign in to ${escapeHtml(String(details.params.client_id))} as:</p>
<form method="post" action="/interaction/${escapeHtml(details.uid)}">
<label>Email <input type="email" name="email" required></label>
<label><input type="checkbox" name="email_verified" checked> email verified</label>
<button type="submit">Sign in</button></form></body></html>`);
      return;
    }
    const form = await readForm(req);
    const email = (form.get("email") ?? "").trim();
    if (!email.includes("@")) throw new Error("an email address is required");
    const accountId = devSubject(email);
    identities.set(accountId, { email, email_verified: form.get("email_verified") === "on" });
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope("openid email");
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  }

  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
