// Runs in Node before the suite: starts the local stack (private MariaDB and Redis unless
// MYSQL_URL/REDIS_URL are set) and hands its URLs to the tests running in workerd.
import type { TestProject } from "vitest/node";
import { startLocalStack } from "../local/stack.ts";

export default async function setup(project: TestProject) {
  const stack = await startLocalStack({ log: (line) => console.log(`[stack] ${line}`) });
  project.provide("databaseUrl", stack.databaseUrl);
  project.provide("redisRestUrl", stack.redisRestUrl);
  project.provide("redisRestToken", stack.redisRestToken);
  project.provide("planetscaleUrl", stack.planetscale.url);
  return stack.stop;
}

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    redisRestUrl: string;
    redisRestToken: string;
    planetscaleUrl: string;
  }
}
