// The MySQL connection: Drizzle over the PlanetScale HTTP driver (PlanetScale in production,
// the local protocol server in development and tests).

import { Client } from "@planetscale/database";
import { drizzle } from "drizzle-orm/planetscale-serverless";
import { unavailable } from "../lib/errors.ts";
import { isolateStats } from "../lib/isolate-stats.ts";

const DEFAULT_TIMEOUT_MS = 5000;
const NOT_SERVING = /"code"\s*:\s*"(UNAVAILABLE|DEADLINE_EXCEEDED)"/;

/**
 * Every query is one HTTP request with a deadline: a stalled or unreachable database becomes a
 * 503 within `timeoutMs`, never a hang and never a 500, and so does a 5xx answer. SQL errors the
 * database answered are left as they are (the driver reports them from a 200 answer).
 */
function boundedFetch(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    // Two deadlines, for the answer to begin and for its body, rather than one for both: a busy
    // isolate (fifty password hashes queued behind one INSERT) must not turn an answer that did
    // arrive in time into a 503, which would report a committed write as failed.
    // One timer for both (timers are a measurable part of a query's CPU): it fires at the first
    // deadline and, when the answer has begun by then, waits out what is left of the body's.
    const controller = new AbortController();
    let bodyDeadline: number | undefined;
    const expire = () => {
      const left = bodyDeadline === undefined ? 0 : bodyDeadline - Date.now();
      if (left > 0) timer = setTimeout(expire, left);
      else controller.abort(new DOMException("database deadline", "TimeoutError"));
    };
    let timer = setTimeout(expire, timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(input, { ...init, signal: controller.signal });
      bodyDeadline = Date.now() + timeoutMs;
      text = await response.text();
    } catch (error) {
      const reason = error instanceof Error && error.name === "TimeoutError" ? "timed out" : "unreachable";
      throw unavailable("db", reason, error);
    } finally {
      clearTimeout(timer);
    }
    // SQL errors come back as 200s; a 5xx is the endpoint (or a proxy before it) not serving, and
    // so is a 200 whose error says the database behind it is not serving (gRPC codes).
    if (response.status >= 500) throw unavailable("db", "unreachable", new Error(`HTTP ${response.status}`));
    if (NOT_SERVING.test(text) && errorCode(text) !== undefined) {
      throw unavailable("db", "unreachable", new Error(String(errorCode(text))));
    }
    return new Response(text, { status: response.status, headers: response.headers });
  };
}

/** The answer's top-level error code when it is one of the "not serving" ones. */
function errorCode(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return code === "UNAVAILABLE" || code === "DEADLINE_EXCEEDED" ? code : undefined;
  } catch {
    return undefined;
  }
}

export function createDatabase(databaseUrl: string, timeoutMs = DEFAULT_TIMEOUT_MS) {
  isolateStats.databaseClients++;
  // No `schema`: the stores build their queries from the table objects, and with it drizzle would
  // work out the relational-query configuration of every table for each request's client (a few
  // percent of a profile read's CPU, npm run bench:profile).
  return drizzle({ client: new Client({ url: databaseUrl, fetch: boundedFetch(timeoutMs) }) });
}

export type Database = ReturnType<typeof createDatabase>;

/** MySQL's duplicate-key error (ER_DUP_ENTRY) carries the violated index's name. */
export function duplicateKeyName(error: unknown): string | null {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const match = /Duplicate entry .* for key '([^']+)'/.exec(current.message);
    if (match?.[1]) return match[1].split(".").pop() ?? match[1];
  }
  return null;
}
