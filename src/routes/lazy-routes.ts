// Route groups built on their first request in an isolate, not when it starts. A router's zod
// schemas (which validate and document its routes) are built when its module is evaluated, and
// that is most of an isolate's start-up CPU; an isolate that only checks and refreshes tokens
// should not build the admin API's. Each group owns a path prefix: the app sends everything under
// it to the group, which answers with the app's own error handling and 404/405 rules.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import { isolateStats } from "../lib/isolate-stats.ts";
import { keptOnSuccess } from "../lib/kept-on-success.ts";
import { notFound, onError } from "../middleware/error-handling.ts";
import { createRouter } from "./router.ts";

type Router = OpenAPIHono<AppEnv>;

export interface LazyGroup {
  /** Every path under it (and the prefix itself) belongs to this group and to no other router. */
  prefix: string;
  routers: () => Promise<Router[]>;
}

/**
 * The context the app built for a request (its configuration, dependencies, request id), handed
 * to the group's router, which runs the request in a context of its own.
 */
const outerContexts = new WeakMap<Request, Context<AppEnv>>();

const inheritOuterContext: MiddlewareHandler<AppEnv> = async (c, next) => {
  const outer = outerContexts.get(c.req.raw);
  if (outer) {
    for (const [name, value] of Object.entries(outer.var)) c.set(name as keyof AppEnv["Variables"], value as never);
  }
  await next();
};

async function assemble(group: LazyGroup): Promise<Router> {
  const router = createRouter();
  router.use(inheritOuterContext);
  for (const routes of await group.routers()) router.route("/", routes);
  router.onError(onError);
  // Paths under the prefix are this group's alone, so its own routes decide 404 or 405.
  router.notFound(notFound(router));
  isolateStats.routeGroupsBuilt++;
  return router;
}

/** The group's assembled router, built once; a failed build (it should not fail) is retried by the next request. */
export const groupLoader = (group: LazyGroup): (() => Promise<Router>) => keptOnSuccess(() => assemble(group));

/** The handler the app mounts on a group's prefix: loads the group, then lets it answer. */
export function lazyRoutes(load: () => Promise<Router>): MiddlewareHandler<AppEnv> {
  return async (c) => {
    const router = await load();
    outerContexts.set(c.req.raw, c);
    const answer = await router.fetch(c.req.raw, c.env, executionContextOf(c));
    // The group's answer with the headers the app's middleware set before it (request id, CORS).
    return c.newResponse(answer.body, answer);
  };
}

/** Requests made straight to the app (some tests) carry no execution context: Hono's getter throws then. */
function executionContextOf(c: Context<AppEnv>): Context<AppEnv>["executionCtx"] | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
