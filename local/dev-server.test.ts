// `npm run dev` (wrangler dev) stays up whatever a client sends. Two PATCH /profile/update/ with
// `application/json; charset=utf-8`, a ~470-byte body and an expired token once took it down:
// the 401 came before the body was read, and wrangler's proxy lost the connection to a worker
// that had re-made the request around that unread body. Run by npm test (node --test).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type DevServer, startDevServer } from "./dev-server.ts";

const logDir = fileURLToPath(new URL("../.local/", import.meta.url));
let dev: DevServer;

before(async () => {
  mkdirSync(logDir, { recursive: true });
  dev = await startDevServer(`${logDir}dev-server-test.log`);
});
after(async () => {
  await dev?.stop();
});

describe("per-isolate caches under wrangler dev", () => {
  it("parse the configuration and import the keys once: later requests hit both caches", async () => {
    const stats = async () =>
      ((await (await fetch(`${dev.url}/dev/isolate-stats`)).json()) as { data: Record<string, number> }).data;
    await fetch(`${dev.url}/other/metadata/countrydetails/`);
    const before = await stats();
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${dev.url}/other/metadata/countrydetails/`)).status, 200);
    const after = await stats();
    assert.equal(after.configParsed, before.configParsed);
    assert.equal(after.keysImported, before.keysImported);
    assert.ok((after.configCacheHits ?? 0) - (before.configCacheHits ?? 0) >= 5, JSON.stringify({ before, after }));
    assert.ok((after.keysCacheHits ?? 0) - (before.keysCacheHits ?? 0) >= 5, JSON.stringify({ before, after }));
    // The country list made no MySQL or Redis client.
    assert.equal(after.databaseClients, before.databaseClients);
    assert.equal(after.redisClients, before.redisClients);
  });
});

const REPRODUCTION_BODY = JSON.stringify({ first_name: "A", address: "x".repeat(450) });

async function send(path: string, init: { method: string; contentType: string; body: string; token?: string }) {
  const res = await fetch(`${dev.url}${path}`, {
    method: init.method,
    headers: { "content-type": init.contentType, authorization: `Bearer ${init.token ?? "expired"}` },
    body: init.body,
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as { error?: { code?: string } } | null };
}

async function assertHealthy() {
  assert.ok(dev.alive(), "npm run dev exited");
  const health = await fetch(`${dev.url}/health`);
  assert.equal(health.status, 200);
}

describe("npm run dev survives requests whose bodies the answer does not need", () => {
  it("answers the reported reproduction twice, then 200 more times, and is still healthy", async () => {
    const request = { method: "PATCH", contentType: "application/json; charset=utf-8", body: REPRODUCTION_BODY };
    for (let i = 0; i < 2; i++) {
      const reply = await send("/profile/update/", request);
      assert.equal(reply.status, 401);
      assert.equal(reply.body?.error?.code, "INVALID_TOKEN");
    }
    await assertHealthy();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const { status } = await send("/profile/update/", request);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries(statuses), { 401: 200 });
    await assertHealthy();
  });

  it("answers odd content types on JSON routes with a 4xx in the envelope, and stays up", async () => {
    const contentTypes = ["application/json;", "multipart/form-data", "text/plain", "application/x-www-form-urlencoded"];
    const routes = [
      { method: "PATCH", path: "/profile/update/" },
      { method: "POST", path: "/auth/user/login/" },
      { method: "PUT", path: "/nope" },
      { method: "DELETE", path: "/auth/user/signup/" },
    ];
    for (let round = 0; round < 10; round++) {
      for (const contentType of contentTypes) {
        for (const route of routes) {
          const body = JSON.stringify({ username: "nobody", password: "x".repeat(200 + round * 500) });
          const reply = await send(route.path, { method: route.method, contentType, body });
          assert.ok(
            reply.status >= 400 && reply.status < 500,
            `${route.method} ${route.path} [${contentType}] -> ${reply.status}`,
          );
          assert.equal(typeof reply.body?.error?.code, "string");
        }
      }
    }
    await assertHealthy();
  });
});
