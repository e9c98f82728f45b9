// The Redis connection: Upstash's REST client (Upstash in production, the local protocol server
// in development and tests).

import { errors, Redis } from "@upstash/redis/cloudflare";
import { unavailable } from "../lib/errors.ts";
import { digestHex } from "../lib/hex.ts";
import { isolateStats } from "../lib/isolate-stats.ts";

const DEFAULT_TIMEOUT_MS = 5000;
const NOT_SERVING = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;

export function createRedis(url: string, token: string, timeoutMs = DEFAULT_TIMEOUT_MS): Redis {
  isolateStats.redisClients++;
  return new Redis({
    url,
    token,
    // Fail fast: a dead endpoint must become a 503 now, not after seconds of backoff.
    retry: false,
    // Values come back exactly as stored (an OTP "012345" must not become the number 12345).
    automaticDeserialization: false,
    enableTelemetry: false,
    enableAutoPipelining: false,
    // One client serves all of an isolate's requests (middleware/dependencies.ts), and its
    // read-your-writes token would be shared by them: a reply to one request could set it back
    // below another's own write. Writes, and nearly all reads, are Lua scripts, which run on the
    // primary; the few plain reads read what earlier requests wrote, which a token kept per client
    // never covered.
    readYourWrites: false,
    // A deadline per command: a stalled Redis becomes a 503, never a hang. (A signal factory, not
    // a signal: with a plain signal the client would return the abort reason as the result.)
    signal: () => AbortSignal.timeout(timeoutMs),
  });
}

/**
 * Runs Redis work, turning "could not reach Redis" into a 503: token checks fail closed, and a
 * client can tell an outage from a bug. Errors Redis itself answered stay as they are.
 */
export async function reachRedis<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    // Errors Redis answered are bugs or bad data (500); an answer that is not Redis talking (a
    // proxy's or the platform's error page) or a Redis that is not serving is an outage (503).
    if (
      error instanceof errors.UpstashError &&
      !(error instanceof errors.UpstashJSONParseError) &&
      !NOT_SERVING.test(error.message)
    )
      throw error;
    const timedOut = error instanceof Error && error.name === "TimeoutError";
    throw unavailable("redis", timedOut ? "timed out" : "unreachable", error);
  }
}

// Script digests, by script text: a pure function of code shipped with the worker (no request state).
const digests = new Map<string, Promise<string>>();

function digestOf(script: string): Promise<string> {
  let digest = digests.get(script);
  if (!digest) {
    digest = digestHex("SHA-1", script);
    digests.set(script, digest);
  }
  return digest;
}

/**
 * Runs a Lua script by its digest (EVALSHA: 40 bytes on the wire instead of the script), sending
 * the script itself only when Redis does not have it cached yet (NOSCRIPT, e.g. after a restart).
 */
export async function runScript<T = unknown>(redis: Redis, script: string, keys: string[], args: string[]): Promise<T> {
  try {
    return await redis.evalsha<string[], T>(await digestOf(script), keys, args);
  } catch (error) {
    if (!(error instanceof Error && /NOSCRIPT/i.test(error.message))) throw error;
    return redis.eval<string[], T>(script, keys, args);
  }
}
