// npm run dev: one command from a fresh clone to a running worker on real MySQL and Redis.
// Starts the local stack (unless .dev.vars points at real PlanetScale/Upstash), then `wrangler dev`
// with the stack's URLs, prints the URL, and stops everything on Ctrl-C.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DEV_OIDC_CLIENT } from "./dev-oidc-clients.ts";
import { startDevOidcProvider } from "./dev-oidc-provider.ts";
import { ensureDevVars, readDevVars, writeEnvFile } from "./dev-vars.ts";
import { copyDocsAssets } from "./docs-assets.ts";
import { type LocalStack, MissingServerError, startLocalStack, stopOnExit } from "./stack.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const devVarsPath = `${root}.dev.vars`;
const port = Number(process.env.PORT ?? 8787);

const generated = await ensureDevVars(devVarsPath);
if (generated.length > 0) console.log(`[dev] generated ${generated.join(", ")} into .dev.vars`);
const vars = readDevVars(devVarsPath);
const external = Boolean(vars.DATABASE_URL && vars.UPSTASH_REDIS_REST_URL && vars.UPSTASH_REDIS_REST_TOKEN);

let stack: LocalStack | undefined;
let oidc: Awaited<ReturnType<typeof startDevOidcProvider>> | undefined;
let wrangler: ChildProcess | undefined;

// wrangler runs in its own process group (workerd is its child): the whole group is signalled.
const stopWrangler = () => {
  if (wrangler?.pid && wrangler.exitCode === null) {
    try {
      process.kill(-wrangler.pid, "SIGTERM");
    } catch {}
  }
};
const stopStack = async () => {
  await Promise.all([stack?.stop(), oidc?.close()]);
  console.log(`\n[dev] stopped wrangler dev${stack ? " and the local stack (database and Redis servers)" : ""}`);
};
stopOnExit(stopStack, stopWrangler);

try {
  if (external) console.log("[dev] using DATABASE_URL and UPSTASH_* from .dev.vars");
  else stack = await startLocalStack({ log: (line) => console.log(`[stack] ${line}`) });
  // A real OpenID provider for "sign in with" in development (never in production).
  oidc = await startDevOidcProvider({
    clients: [
      {
        ...DEV_OIDC_CLIENT,
        redirect_uris: [`http://localhost:${port}/auth/oauth/dev/callback`, `http://127.0.0.1:${port}/auth/oauth/dev/callback`],
      },
    ],
  });
  console.log(`[dev] dev OpenID provider at ${oidc.issuer} (client ${DEV_OIDC_CLIENT.client_id})`);
} catch (error) {
  console.error(error instanceof MissingServerError ? error.message : error);
  process.exit(1);
}

// wrangler.toml's top level holds production settings (safe to deploy as is); development ones
// are given here, under whatever .dev.vars sets.
const DEVELOPMENT: Record<string, string> = {
  ENVIRONMENT: "development",
  EMAIL_PROVIDER: "log",
  SMS_PROVIDER: "log",
  CORS_ORIGINS: "http://localhost:3000,http://localhost:5173",
  // Passkeys work for pages at http://localhost:<port> (an IP literal cannot be an RP ID).
  WEBAUTHN_RP_ID: "localhost",
  WEBAUTHN_ORIGINS: `http://localhost:${port}`,
  PASSWORDLESS_EMAIL: "on",
  // Sign in with the local OpenID provider started above; flows may return to the dev CORS
  // origins and to the demo pages.
  OAUTH_PROVIDERS: "dev",
  OAUTH_DEV_CLIENT_ID: DEV_OIDC_CLIENT.client_id,
  OAUTH_DEV_CLIENT_SECRET: DEV_OIDC_CLIENT.client_secret,
  OAUTH_REDIRECT_URIS: `http://localhost:3000/*,http://localhost:5173/*,http://localhost:${port}/examples/*`,
};

const merged: Record<string, string> = {
  ...DEVELOPMENT,
  ...(oidc ? { OAUTH_DEV_ISSUER: oidc.issuer } : {}),
  ...vars,
  DATABASE_URL: vars.DATABASE_URL || stack?.databaseUrl || "",
  UPSTASH_REDIS_REST_URL:
    (vars.UPSTASH_REDIS_REST_URL && vars.UPSTASH_REDIS_REST_TOKEN ? vars.UPSTASH_REDIS_REST_URL : stack?.redisRestUrl) ?? "",
  UPSTASH_REDIS_REST_TOKEN:
    (vars.UPSTASH_REDIS_REST_URL && vars.UPSTASH_REDIS_REST_TOKEN ? vars.UPSTASH_REDIS_REST_TOKEN : stack?.redisRestToken) ?? "",
};
mkdirSync(`${root}.local`, { recursive: true });
const envFile = `${root}.local/dev.vars`;
writeEnvFile(envFile, merged);
copyDocsAssets();

wrangler = spawn(
  process.execPath,
  [`${root}node_modules/wrangler/bin/wrangler.js`, "dev", "--ip", "127.0.0.1", "--port", String(port), "--env-file", envFile],
  {
    cwd: root,
    stdio: "inherit",
    detached: true,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  },
);
wrangler.on("exit", (code) => void stopStack().finally(() => process.exit(code ?? 1)));

const url = `http://127.0.0.1:${port}`;
for (let attempt = 0; attempt < 120 && wrangler.exitCode === null; attempt++) {
  const health = await fetch(`${url}/health`).catch(() => null);
  if (health) {
    console.log(`\n[dev] LoginSystem Edge is running at ${url} (health: ${health.status}). Ctrl-C stops everything.\n`);
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
