// Runs in Node before the suite: starts the local stack (private MariaDB and Redis unless
// MYSQL_URL/REDIS_URL are set) and hands its URLs to the tests running in workerd.
import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { startFakeProviders, startFaultProxy, startStallServer } from "../local/fake-providers.ts";
import { startPlanetScaleServer } from "../local/psdb-server.ts";
import { startLocalStack } from "../local/stack.ts";
import { startUpstashServer } from "../local/upstash-server.ts";
import { generateSigningKey } from "../src/lib/signing-keys.ts";

export default async function setup(project: TestProject) {
  const stack = await startLocalStack({ log: (line) => console.log(`[stack] ${line}`) });
  // A second pair of protocol servers over the same MySQL and Redis, used by one test file only,
  // so its request counters count exactly that file's round trips while other files run.
  const probeToken = randomBytes(16).toString("hex");
  const probeDb = await startPlanetScaleServer({ mysqlUrl: stack.mysqlUrl, username: "probe", password: probeToken });
  const probeRedis = await startUpstashServer({ redisUrl: stack.redisUrl, token: probeToken });
  const providers = await startFakeProviders();
  project.provide("fakeProvidersUrl", providers.url);
  const stall = await startStallServer();
  project.provide("stallUrl", stall.url);
  // Faults at single steps of account deletion: MySQL's DELETE of the user, Redis' revocation
  // script, Redis' tombstone script.
  const faults = await Promise.all([
    startFaultProxy(stack.planetscale.url, /delete from `users`/i),
    startFaultProxy(stack.upstash.url, /if tonumber\(ARGV\[1\]\) > tonumber\(redis\.call\('GET', KEYS\[2\]\)/),
    startFaultProxy(stack.upstash.url, /9007199254740991/),
    // A signup's INSERT that commits but answers after the caller's deadline.
    startFaultProxy(stack.planetscale.url, /insert into `users`/i, "late"),
  ]);
  const [dbDelete, redisRevoke, redisTombstone, dbInsertLate] = faults.map((fault) => fault.url);
  project.provide("faults", {
    dbDelete: String(dbDelete),
    redisRevoke: String(redisRevoke),
    redisTombstone: String(redisTombstone),
    dbInsertLate: String(dbInsertLate),
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
      stall.close(),
      ...faults.map((fault) => fault.close()),
    ]);
    await stack.stop();
  };
}
