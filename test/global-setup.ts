// Runs in Node before the suite: starts the local stack (private MariaDB and Redis unless
// MYSQL_URL/REDIS_URL are set) and hands its URLs to the tests running in workerd.
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { createClient } from "redis";
import type { TestProject } from "vitest/node";
import { DEV_OIDC_TEST_CLIENT } from "../local/dev-oidc-clients.ts";
import { startDevOidcProvider } from "../local/dev-oidc-provider.ts";
import { startFakeProviders, startFaultProxy, startStallServer } from "../local/fake-providers.ts";
import { startIdentityProviders } from "../local/identity-providers.ts";
import { startPlanetScaleServer } from "../local/psdb-server.ts";
import { startLocalStack } from "../local/stack.ts";
import { startUpstashServer } from "../local/upstash-server.ts";
import { startWebhookReceiver } from "../local/webhook-receiver.ts";
import { generateSigningKey } from "../src/lib/signing-keys.ts";
import { REVOKE_ALL_SESSIONS } from "../src/stores/session-scripts.ts";

/**
 * Loads every Lua script into Redis up front, as a long-running Redis would have them: the
 * round-trip tests then count one EVALSHA per script call, never a first-use NOSCRIPT + EVAL.
 */
async function preloadScripts(redisUrl: string): Promise<number> {
  const modules = await Promise.all([
    import("../src/stores/session-scripts.ts"),
    import("../src/stores/login-scripts.ts"),
    import("../src/stores/otp-scripts.ts"),
    import("../src/stores/mfa-scripts.ts"),
    import("../src/stores/passkey-scripts.ts"),
    import("../src/stores/oauth-scripts.ts"),
  ]);
  const values: unknown[] = modules.flatMap((module) => Object.values(module));
  const scripts = values.filter((value): value is string => typeof value === "string");
  const client = createClient({ url: redisUrl });
  await client.connect();
  for (const script of scripts) await client.scriptLoad(script);
  await client.quit();
  return scripts.length;
}

const CODE_WRITE = /update `users` set `(is_email_verified|password_hash)`/i;
// A user read by id (the driver sends the SQL with its values in place).
const USER_BY_ID = /from `users` where `users`.`id` = '/i;

export default async function setup(project: TestProject) {
  const stack = await startLocalStack({ log: (line) => console.log(`[stack] ${line}`) });
  console.log(`[stack] ${await preloadScripts(stack.redisUrl)} Lua scripts loaded`);
  // A second pair of protocol servers over the same MySQL and Redis, used by one test file only,
  // so its request counters count exactly that file's round trips while other files run.
  const probeToken = randomBytes(16).toString("hex");
  const probeDb = await startPlanetScaleServer({ mysqlUrl: stack.mysqlUrl, username: "probe", password: probeToken });
  const probeRedis = await startUpstashServer({ redisUrl: stack.redisUrl, token: probeToken });
  const providers = await startFakeProviders();
  // A real OpenID provider (oidc-provider): the sign-in-with flows are tested against it, not a mock.
  const oidc = await startDevOidcProvider({ clients: [DEV_OIDC_TEST_CLIENT] });
  project.provide("oidcIssuer", oidc.issuer);
  const identityProviders = await startIdentityProviders({ clientId: "github-test-client", clientSecret: "github-test-secret" });
  project.provide("identityProvidersUrl", identityProviders.url);
  project.provide("nativeIdpKeys", identityProviders.nativeKeys);
  // Sign in with Apple is configured with a .p8-style key of its own (its endpoints are Apple's: only starts are tested).
  project.provide(
    "applePrivateKey",
    String(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" })),
  );
  project.provide("fakeProvidersUrl", providers.url);
  // A real HTTP receiver for webhooks: the tests read back what it was sent and verify signatures.
  const receiver = await startWebhookReceiver();
  project.provide("webhookReceiverUrl", receiver.url);
  const stall = await startStallServer();
  project.provide("stallUrl", stall.url);
  // Faults at single steps of account deletion: MySQL's DELETE of the user, Redis' revocation
  // script, Redis' tombstone script.
  const faults = await Promise.all([
    startFaultProxy(stack.planetscale.url, /delete from `users`/i),
    // Scripts travel as their SHA-1 (EVALSHA): the revocation script is recognised by its digest.
    startFaultProxy(stack.upstash.url, new RegExp(createHash("sha1").update(REVOKE_ALL_SESSIONS).digest("hex"))),
    startFaultProxy(stack.upstash.url, /9007199254740991/),
    // A signup's INSERT that commits but answers after the caller's deadline.
    startFaultProxy(stack.planetscale.url, /insert into `users`/i, "late"),
    // The write a one-time code is spent on (an email verified, a password reset): refused, or
    // committed with its answer late.
    startFaultProxy(stack.planetscale.url, CODE_WRITE),
    startFaultProxy(stack.planetscale.url, CODE_WRITE, "late"),
    // The read of a user by id whose answer begins in time and whose body comes after the first
    // deadline: within the body's own deadline, and far past it (DATABASE_TIMEOUT_MS 1000).
    startFaultProxy(stack.planetscale.url, USER_BY_ID, { headersAfterMs: 600, bodyAfterMs: 700 }),
    startFaultProxy(stack.planetscale.url, USER_BY_ID, { headersAfterMs: 600, bodyAfterMs: 4000 }),
  ]);
  const [dbDelete, redisRevoke, redisTombstone, dbInsertLate, dbCodeWriteFails, dbCodeWriteLate, dbBodyLate, dbBodyStalls] =
    faults.map((fault) => fault.url);
  project.provide("faults", {
    dbDelete: String(dbDelete),
    redisRevoke: String(redisRevoke),
    redisTombstone: String(redisTombstone),
    dbInsertLate: String(dbInsertLate),
    dbCodeWriteFails: String(dbCodeWriteFails),
    dbCodeWriteLate: String(dbCodeWriteLate),
    dbBodyLate: String(dbBodyLate),
    dbBodyStalls: String(dbBodyStalls),
  });

  project.provide("jwtPrivateKey", JSON.stringify((await generateSigningKey()).privateJwk));
  project.provide("databaseUrl", stack.databaseUrl);
  project.provide("redisRestUrl", stack.redisRestUrl);
  project.provide("redisRestToken", stack.redisRestToken);
  project.provide("probe", {
    databaseUrl: probeDb.databaseUrl,
    planetscaleUrl: probeDb.url,
    redisRestUrl: probeRedis.url,
    redisRestToken: probeToken,
  });
  return async () => {
    await Promise.all([
      probeDb.close(),
      probeRedis.close(),
      providers.close(),
      oidc.close(),
      identityProviders.close(),
      stall.close(),
      receiver.close(),
      ...faults.map((fault) => fault.close()),
    ]);
    await stack.stop();
  };
}
