// The benchmark's floor worker: NOT part of the product. A tiny worker, bundled by wrangler and
// served by plain workerd exactly like the product (local/workerd-runner.ts), whose routes each
// do one of the things an endpoint cannot avoid, and nothing else:
//   GET  /empty   an empty response (the HTTP floor: client, loopback, workerd, an isolate)
//   POST /pbkdf2  one PBKDF2-SHA256 at PBKDF2_ITERATIONS with Web Crypto (what a password costs)
//   GET  /db      one `SELECT 1` through the PlanetScale protocol (@planetscale/database)
//   GET  /redis   one PING through the Upstash REST protocol (@upstash/redis)
//   GET  /both    /db and /redis concurrently (health's floor)
// local/bench.ts adds these up into each endpoint's floor.
import { Client } from "@planetscale/database";
import { Redis } from "@upstash/redis/cloudflare";

interface FloorEnv {
  DATABASE_URL: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  PBKDF2_ITERATIONS: string;
}

// Clients made once per isolate: the floor is the round trip alone, not building a client.
let clients: { db: Client; redis: Redis } | undefined;

function connect(env: FloorEnv) {
  clients ??= {
    db: new Client({ url: env.DATABASE_URL }),
    redis: new Redis({
      url: env.UPSTASH_REDIS_REST_URL,
      token: env.UPSTASH_REDIS_REST_TOKEN,
      retry: false,
      automaticDeserialization: false,
      enableTelemetry: false,
      enableAutoPipelining: false,
    }),
  };
  return clients;
}

const salt = new Uint8Array(16);
const password = new TextEncoder().encode("floor-passphrase-42");

async function pbkdf2(iterations: number): Promise<void> {
  const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
}

async function selectOne(env: FloorEnv): Promise<void> {
  const result = await connect(env).db.execute("SELECT 1");
  if (result.rows.length !== 1) throw new Error("SELECT 1 returned no row");
}

async function ping(env: FloorEnv): Promise<void> {
  if ((await connect(env).redis.ping()) !== "PONG") throw new Error("PING did not answer PONG");
}

export default {
  async fetch(request: Request, env: FloorEnv): Promise<Response> {
    const path = new URL(request.url).pathname;
    switch (path) {
      case "/":
      case "/empty":
        return new Response(null, { status: 204 });
      case "/pbkdf2":
        await pbkdf2(Number(env.PBKDF2_ITERATIONS || 100_000));
        return new Response(null, { status: 204 });
      case "/db":
        await selectOne(env);
        return new Response(null, { status: 204 });
      case "/redis":
        await ping(env);
        return new Response(null, { status: 204 });
      case "/both":
        await Promise.all([selectOne(env), ping(env)]);
        return new Response(null, { status: 204 });
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
