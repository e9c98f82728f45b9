// The Redis connection: Upstash's REST client (Upstash in production, the local protocol server
// in development and tests).
import { Redis } from "@upstash/redis/cloudflare";

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
