// The local stack: real MySQL/MariaDB and Redis (private throwaway servers, or the ones named by
// MYSQL_URL / REDIS_URL) behind local PlanetScale-HTTP and Upstash-REST protocol servers.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RunningServer } from "./http-util.ts";
import { applyMigrations } from "./migrate.ts";
import { findBinary, type StartedProcess, startMysqlServer, startRedisServer } from "./processes.ts";
import { type PlanetScaleServer, startPlanetScaleServer } from "./psdb-server.ts";
import { startUpstashServer } from "./upstash-server.ts";

export interface LocalStack {
  /** For the worker: DATABASE_URL, UPSTASH_REDIS_REST_URL, UPSTASH_REDIS_REST_TOKEN. */
  databaseUrl: string;
  redisRestUrl: string;
  redisRestToken: string;
  /** The real servers behind the protocol servers. */
  mysqlUrl: string;
  redisUrl: string;
  planetscale: PlanetScaleServer;
  upstash: RunningServer;
  /** Faults on purpose, one component at a time (private servers only for mysql/redis). */
  control: StackControl;
  stop(): Promise<void>;
}

export type StackComponent = "mysql" | "redis" | "planetscale" | "upstash";

export interface StackControl {
  /** SIGSTOP: the server keeps its connections and answers nothing (mysql, redis). */
  pause(component: "mysql" | "redis"): void;
  /** SIGCONT after a pause. */
  resume(component: "mysql" | "redis"): void;
  /** Stops the component: connections are refused. */
  kill(component: StackComponent): Promise<void>;
  /** Starts a killed component again on its port (MySQL keeps its data; Redis keeps none). */
  restart(component: StackComponent): Promise<void>;
}

export class MissingServerError extends Error {}

const LOCAL_DIR = fileURLToPath(new URL("../.local", import.meta.url));

function requireBinaries(mysqlUrl: string | undefined, redisUrl: string | undefined) {
  const missing: string[] = [];
  if (!mysqlUrl && !findBinary("mariadbd", "mysqld")) {
    missing.push(
      "MariaDB or MySQL server (Debian/Ubuntu: apt-get install mariadb-server; macOS: brew install mariadb), or set MYSQL_URL=mysql://user:pass@host:3306/db",
    );
  }
  if (!redisUrl && !findBinary("redis-server", "valkey-server")) {
    missing.push(
      "Redis server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or set REDIS_URL=redis://host:6379",
    );
  }
  if (missing.length > 0) throw new MissingServerError(`The local stack needs:\n  - ${missing.join("\n  - ")}`);
}

export async function startLocalStack(
  options: { planetscalePort?: number; upstashPort?: number; log?: (line: string) => void } = {},
): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const externalMysql = process.env.MYSQL_URL || undefined;
  const externalRedis = process.env.REDIS_URL || undefined;
  requireBinaries(externalMysql, externalRedis);

  mkdirSync(LOCAL_DIR, { recursive: true });
  const dir = mkdtempSync(join(LOCAL_DIR, "stack-"));
  const started: StartedProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await Promise.all(started.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };

  const servers: Partial<Record<"mysql" | "redis", StartedProcess & { port: number }>> = {};
  try {
    const [mysqlUrl, redisUrl] = await Promise.all([
      externalMysql ??
        startMysqlServer(dir).then((server) => {
          started.push(server);
          servers.mysql = server;
          log(`started private database server (${server.mysqlUrl})`);
          return server.mysqlUrl;
        }),
      externalRedis ??
        startRedisServer(dir).then((server) => {
          started.push(server);
          servers.redis = server;
          log(`started private redis-server (${server.redisUrl})`);
          return server.redisUrl;
        }),
    ]);
    await applyMigrations(mysqlUrl);
    log("migrations applied");

    const psdbOptions = { mysqlUrl, username: "local", password: randomBytes(12).toString("hex") };
    let planetscale = await startPlanetScaleServer({ ...psdbOptions, port: options.planetscalePort });
    closers.push(() => planetscale.close());
    const redisRestToken = randomBytes(16).toString("hex");
    let upstash = await startUpstashServer({ redisUrl, token: redisRestToken, port: options.upstashPort });
    closers.push(() => upstash.close());
    const portOf = (url: string) => Number(new URL(url).port);

    const processOf = (component: "mysql" | "redis") => {
      const server = servers[component];
      if (!server) throw new Error(`${component} is not a private server of this stack`);
      return server;
    };
    const control: StackControl = {
      pause: (component) => void processOf(component).child.kill("SIGSTOP"),
      resume: (component) => void processOf(component).child.kill("SIGCONT"),
      async kill(component) {
        if (component === "planetscale") return planetscale.close();
        if (component === "upstash") return upstash.close();
        const server = processOf(component);
        server.child.kill("SIGCONT");
        await server.stop();
      },
      async restart(component) {
        if (component === "planetscale")
          planetscale = await startPlanetScaleServer({ ...psdbOptions, port: portOf(planetscale.url) });
        else if (component === "upstash")
          upstash = await startUpstashServer({ redisUrl, token: redisRestToken, port: portOf(upstash.url) });
        else {
          const old = processOf(component);
          const fresh = component === "mysql" ? await startMysqlServer(dir, old.port) : await startRedisServer(dir, old.port);
          started.splice(started.indexOf(old), 1, fresh);
          servers[component] = fresh;
        }
      },
    };
    log(`PlanetScale protocol on ${planetscale.url}, Upstash protocol on ${upstash.url}`);

    return {
      databaseUrl: planetscale.databaseUrl,
      redisRestUrl: upstash.url,
      redisRestToken,
      mysqlUrl,
      redisUrl,
      planetscale,
      upstash,
      control,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Stops the stack on Ctrl-C, SIGTERM or a normal exit, so no server outlives its launcher. */
export function stopOnExit(stop: () => Promise<void>, alsoStop: () => void = () => undefined): void {
  const shutdown = (code: number) => {
    alsoStop();
    stop().finally(() => process.exit(code));
  };
  process.once("SIGINT", () => shutdown(130));
  process.once("SIGTERM", () => shutdown(143));
  process.once("SIGHUP", () => shutdown(129));
}
