// npm run stack -- starts the local stack alone and prints its URLs (for benchmarks, debugging).
import { MissingServerError, startLocalStack, stopOnExit } from "./stack.ts";

try {
  const stack = await startLocalStack({ log: (line) => console.log(`[stack] ${line}`) });
  stopOnExit(stack.stop);
  console.log(`DATABASE_URL=${stack.databaseUrl}`);
  console.log(`UPSTASH_REDIS_REST_URL=${stack.redisRestUrl}`);
  console.log(`UPSTASH_REDIS_REST_TOKEN=${stack.redisRestToken}`);
  console.log("Ctrl-C stops everything.");
} catch (error) {
  console.error(error instanceof MissingServerError ? error.message : error);
  process.exit(1);
}
