// A local server speaking the Upstash Redis REST protocol (what @upstash/redis sends) in front of
// a real Redis: single commands at /, pipelines at /pipeline, transactions at /multi-exec.
import type { IncomingMessage } from "node:http";
import { createClient, ErrorReply, RESP_TYPES } from "redis";
import { type RunningServer, startJsonServer, UpstreamUnavailable } from "./http-util.ts";

export interface UpstashServerOptions {
  redisUrl: string;
  token: string;
  port?: number;
  /**
   * Added before each answer (benchmarks: a Redis that is a network hop away, as at the edge).
   * Default: the UPSTASH_SERVER_LATENCY_MS environment variable, else 0.
   */
  latencyMs?: number;
}

type Command = (string | number | boolean)[];
type Reply = { result: unknown } | { error: string };

function connect(redisUrl: string) {
  // Bulk strings as Buffers: the REST protocol ships them base64-encoded byte for byte.
  // Maps and sets as flat arrays, as Upstash returns them (HGETALL -> [field, value, ...]).
  return createClient({ url: redisUrl }).withTypeMapping({
    [RESP_TYPES.BLOB_STRING]: Buffer,
    [RESP_TYPES.MAP]: Array,
    [RESP_TYPES.SET]: Array,
  });
}
type RedisConnection = ReturnType<typeof connect>;

function isCommand(value: unknown): value is Command {
  return Array.isArray(value) && value.length > 0 && value.every((part) => ["string", "number", "boolean"].includes(typeof part));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns a Redis reply into the JSON Upstash returns; with base64 on, every string but "OK" is encoded. */
function encode(value: unknown, base64: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString(base64 ? "base64" : "utf8");
  if (typeof value === "string") return base64 && value !== "OK" ? Buffer.from(value).toString("base64") : value;
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map((item) => encode(item, base64));
  return value;
}

export async function startUpstashServer(options: UpstashServerOptions): Promise<RunningServer> {
  const shared: RedisConnection = connect(options.redisUrl);
  shared.on("error", (error) => console.error("[local upstash] redis:", errorText(error)));
  await shared.connect();
  const idle: RedisConnection[] = [];
  const latencyMs = options.latencyMs ?? Number(process.env.UPSTASH_SERVER_LATENCY_MS || 0);
  if (!(latencyMs >= 0)) throw new Error("UPSTASH_SERVER_LATENCY_MS must be a number of milliseconds >= 0");

  const run = async (connection: RedisConnection, command: Command, base64: boolean): Promise<Reply> => {
    try {
      const reply = await connection.sendCommand(command.map(String));
      return { result: encode(reply, base64) };
    } catch (error) {
      // Redis answered with an error (WRONGTYPE, NOSCRIPT, ...): that is the reply. Anything else
      // (a reset or closed connection, Redis gone) is the gateway's failure, as on Upstash.
      if (error instanceof ErrorReply) return { error: errorText(error) };
      throw new UpstreamUnavailable(`redis: ${errorText(error)}`);
    }
  };

  // MULTI/EXEC needs a connection of its own so other requests' commands cannot interleave.
  const multiExec = async (commands: Command[], base64: boolean) => {
    const connection = idle.pop() ?? (await connect(options.redisUrl).connect());
    try {
      await connection.sendCommand(["MULTI"]);
      for (const command of commands) {
        const queued = await run(connection, command, false);
        if ("error" in queued) {
          await connection.sendCommand(["DISCARD"]);
          return { status: 400, body: { error: `EXECABORT ${queued.error}` } };
        }
      }
      const replies = (await connection.sendCommand(["EXEC"])) as unknown[];
      const body = replies.map(
        (reply): Reply => (reply instanceof Error ? { error: reply.message } : { result: encode(reply, base64) }),
      );
      return { status: 200, body };
    } finally {
      idle.push(connection);
    }
  };

  const server = await startJsonServer({
    port: options.port,
    authorize: (req: IncomingMessage) => req.headers.authorization === `Bearer ${options.token}`,
    unauthorized: { error: "Unauthorized" },
    handle: async (req, body) => {
      // At 0 (the default) not even a timer turn is added.
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const path = (req.url ?? "/").split("?")[0];
      const base64 = req.headers["upstash-encoding"] === "base64";
      if (req.method !== "POST") return { status: 405, body: { error: "ERR only POST is supported" } };
      if (path === "/" || path === "") {
        if (!isCommand(body)) return { status: 400, body: { error: "ERR failed to parse command" } };
        const reply = await run(shared, body, base64);
        return "error" in reply ? { status: 400, body: reply } : { status: 200, body: reply };
      }
      if (path === "/pipeline" || path === "/multi-exec") {
        if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) {
          return { status: 400, body: { error: "ERR failed to parse pipeline request" } };
        }
        if (path === "/multi-exec") return multiExec(body, base64);
        return { status: 200, body: await Promise.all(body.map((command) => run(shared, command, base64))) };
      }
      return { status: 404, body: { error: `ERR unknown endpoint ${path}` } };
    },
  });

  return {
    ...server,
    close: async () => {
      await server.close();
      await Promise.all([shared, ...idle].map((connection) => connection.quit().catch(() => undefined)));
    },
  };
}
