// A local server speaking the PlanetScale HTTP protocol (what @planetscale/database sends) in
// front of a real MySQL/MariaDB, so the worker runs the same driver locally as in production.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import mysql, { type FieldPacket, type PoolConnection, type ResultSetHeader } from "mysql2/promise";
import { type RunningServer, startJsonServer } from "./http-util.ts";
import { vitessField } from "./psdb-types.ts";

export interface PlanetScaleServerOptions {
  mysqlUrl: string;
  username: string;
  password: string;
  port?: number;
  /** An open transaction idle this long is rolled back and its connection released. */
  sessionIdleMs?: number;
  /**
   * Added before each answer (benchmarks: a database that is a network hop away, as at the edge).
   * Default: the PSDB_SERVER_LATENCY_MS environment variable, else 0.
   */
  latencyMs?: number;
}

export interface PlanetScaleServer extends RunningServer {
  /** URL with credentials, as DATABASE_URL for the worker. */
  databaseUrl: string;
}

interface PinnedSession {
  connection: PoolConnection;
  timer: NodeJS.Timeout;
}

type Row = (Buffer | null)[];

const BEGIN = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;
const END = /^\s*(COMMIT|ROLLBACK)\s*;?\s*$/i;

export async function startPlanetScaleServer(options: PlanetScaleServerOptions): Promise<PlanetScaleServer> {
  const pool = mysql.createPool({
    uri: options.mysqlUrl,
    connectionLimit: 20,
    charset: "utf8mb4_unicode_ci",
    timezone: "Z",
    multipleStatements: false,
  });
  // Keep every session in UTC whatever the server default is: drizzle's datetime mode assumes it.
  pool.on("connection", (connection) => {
    connection.query("SET time_zone = '+00:00'");
  });
  const sessions = new Map<string, PinnedSession>();
  const idleMs = options.sessionIdleMs ?? 30_000;
  const latencyMs = options.latencyMs ?? Number(process.env.PSDB_SERVER_LATENCY_MS || 0);
  if (!(latencyMs >= 0)) throw new Error("PSDB_SERVER_LATENCY_MS must be a number of milliseconds >= 0");
  const expected = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString("base64")}`;

  const release = (id: string, rollback: boolean) => {
    const pinned = sessions.get(id);
    if (!pinned) return;
    sessions.delete(id);
    clearTimeout(pinned.timer);
    if (rollback)
      pinned.connection
        .query("ROLLBACK")
        .catch(() => undefined)
        .finally(() => pinned.connection.release());
    else pinned.connection.release();
  };

  const pin = (id: string, connection: PoolConnection) => {
    const timer = setTimeout(() => release(id, true), idleMs);
    timer.unref();
    sessions.set(id, { connection, timer });
  };

  const execute = async (body: unknown) => {
    const request = body as { query?: unknown; session?: { id?: unknown } | null } | null;
    if (typeof request?.query !== "string") {
      return { status: 400, body: { error: { code: "INVALID_ARGUMENT", message: "query must be a string" } } };
    }
    const query = request.query;
    const sessionId = typeof request.session?.id === "string" ? request.session.id : randomUUID();
    const session = { id: sessionId };
    const started = performance.now();
    let pinned = sessions.get(sessionId);
    if (pinned) {
      clearTimeout(pinned.timer);
      pinned.timer = setTimeout(() => release(sessionId, true), idleMs);
      pinned.timer.unref();
    }
    try {
      if (!pinned && BEGIN.test(query)) {
        pin(sessionId, await pool.getConnection());
        pinned = sessions.get(sessionId);
      }
      const runner = pinned?.connection ?? pool;
      const [result, fields] = await runner.query<never>({
        sql: query,
        rowsAsArray: true,
        // The protocol carries each value's raw text bytes: take them exactly as MySQL sent them.
        typeCast: (field) => field.buffer(),
      });
      if (pinned && END.test(query)) release(sessionId, false);
      const timing = (performance.now() - started) / 1000;
      return { status: 200, body: { session, result: toResult(result, fields), timing } };
    } catch (error) {
      if (pinned && END.test(query)) release(sessionId, true);
      return { status: 200, body: { session, error: toProtocolError(error) } };
    }
  };

  const server = await startJsonServer({
    port: options.port,
    authorize: (req: IncomingMessage) => req.headers.authorization === expected,
    unauthorized: { error: { code: "UNAUTHENTICATED", message: "invalid database credentials" } },
    handle: async (req, body) => {
      // At 0 (the default) not even a timer turn is added.
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const path = (req.url ?? "").split("?")[0];
      if (req.method !== "POST") return { status: 405, body: { error: { code: "UNIMPLEMENTED", message: "POST only" } } };
      if (path === "/psdb.v1alpha1.Database/CreateSession") return { status: 200, body: { session: { id: randomUUID() } } };
      if (path === "/psdb.v1alpha1.Database/Execute") return execute(body);
      return { status: 404, body: { error: { code: "NOT_FOUND", message: `no such method ${path}` } } };
    },
  });

  const url = new URL(server.url);
  url.username = encodeURIComponent(options.username);
  url.password = encodeURIComponent(options.password);
  return {
    ...server,
    databaseUrl: url.toString().replace(/\/$/, ""),
    close: async () => {
      for (const id of [...sessions.keys()]) release(id, true);
      await server.close();
      await pool.end();
    },
  };
}

function toResult(result: unknown, fields: FieldPacket[] | undefined) {
  if (!Array.isArray(result)) {
    const header = result as ResultSetHeader;
    return { rowsAffected: String(header.affectedRows ?? 0), insertId: String(header.insertId ?? 0), fields: [], rows: [] };
  }
  const rows = (result as Row[]).map((row) => {
    const lengths = row.map((value) => (value === null ? "-1" : String(value.length)));
    const values = Buffer.concat(row.filter((value): value is Buffer => value !== null)).toString("base64");
    return { lengths, values };
  });
  return { rowsAffected: "0", insertId: "0", fields: (fields ?? []).map(vitessField), rows };
}

function toProtocolError(error: unknown): { code: string; message: string } {
  const sqlError = error as { errno?: number; sqlState?: string; sqlMessage?: string; message?: string };
  // No MySQL error number (a socket error such as ECONNREFUSED carries a negative errno and no
  // SQL state): the database is not serving, which PlanetScale reports as gRPC's UNAVAILABLE.
  if (typeof sqlError.errno !== "number" || sqlError.errno < 0 || !sqlError.sqlState) {
    return { code: "UNAVAILABLE", message: String(sqlError.message ?? error) };
  }
  // Same suffixes as PlanetScale's messages, so code that reads the errno works against both.
  const message = `${sqlError.sqlMessage ?? sqlError.message} (errno ${sqlError.errno}) (sqlstate ${sqlError.sqlState})`;
  const code = sqlError.errno === 1062 ? "ALREADY_EXISTS" : sqlError.errno === 1064 ? "INVALID_ARGUMENT" : "UNKNOWN";
  return { code, message };
}
