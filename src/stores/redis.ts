// The Redis connection: Upstash's REST client (Upstash in production, the local protocol server
// in development and tests).
import { errors, Redis } from "@upstash/redis/cloudflare";
import { AppError } from "../lib/errors.ts";

export function createRedis(url: string, token: string): Redis {
  return new Redis({
    url,
    token,
    // Fail fast: a dead endpoint must become a 503 now, not after seconds of backoff.
    retry: false,
    // Values come back exactly as stored (an OTP "012345" must not become the number 12345).
    automaticDeserialization: false,
    enableTelemetry: false,
    enableAutoPipelining: false,
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
    if (error instanceof errors.UpstashError) throw error;
    console.error("redis unreachable:", error instanceof Error ? error.message : error);
    throw new AppError("SERVICE_UNAVAILABLE", { details: { redis: ["unreachable"] } });
  }
}
