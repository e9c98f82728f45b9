// Starts private, throwaway MariaDB/MySQL and Redis servers from the installed binaries.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/local/mysql/bin", "/opt/homebrew/bin", "/usr/local/bin"];

export function findBinary(...names: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), ...EXTRA_DIRS].filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface StartedProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

function startLogged(command: string, args: string[], logFile: string): StartedProcess {
  const log = openSync(logFile, "a");
  const child = spawn(command, args, { stdio: ["ignore", log, log] });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      child.kill("SIGTERM");
    });
  return { child, stop };
}

async function waitFor(what: string, child: ChildProcess, logFile: string, ready: () => Promise<boolean>) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`${what} exited with code ${child.exitCode}:\n${readFileSync(logFile, "utf8").slice(-2000)}`);
    }
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not become ready within 60 s; see ${logFile}`);
}

/** A throwaway MariaDB (or MySQL) in `dir`, root with an empty password, database `app`. */
export async function startMysqlServer(
  dir: string,
  fixedPort?: number,
): Promise<StartedProcess & { mysqlUrl: string; port: number }> {
  const dataDir = join(dir, "mysql");
  // A restart (fault tests) finds its data directory initialised already.
  const restart = existsSync(join(dataDir, "mysql"));
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(dir, "mysql.log");
  const mariadbd = findBinary("mariadbd");
  const installer = findBinary("mariadb-install-db", "mysql_install_db");
  const mysqld = mariadbd ?? findBinary("mysqld");
  if (!mysqld) throw new Error("no mariadbd or mysqld binary found");
  const init = restart
    ? { status: 0, stdout: "", stderr: "" }
    : mariadbd && installer
      ? spawnSync(
          installer,
          ["--no-defaults", `--datadir=${dataDir}`, "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"],
          { encoding: "utf8" },
        )
      : spawnSync(mysqld, ["--no-defaults", "--initialize-insecure", `--datadir=${dataDir}`, "--user=root"], {
          encoding: "utf8",
        });
  if (init.status !== 0) throw new Error(`initialising the database failed:\n${init.stdout}\n${init.stderr}`);

  const port = fixedPort ?? (await freePort());
  const server = startLogged(
    mysqld,
    [
      "--no-defaults",
      `--datadir=${dataDir}`,
      "--user=root",
      `--port=${port}`,
      "--bind-address=127.0.0.1",
      `--socket=${join(dir, "mysql.sock")}`,
      `--pid-file=${join(dir, "mysql.pid")}`,
      "--skip-log-bin",
      "--character-set-server=utf8mb4",
      "--collation-server=utf8mb4_unicode_ci",
      "--default-time-zone=+00:00",
      "--innodb-buffer-pool-size=64M",
      "--max-connections=200",
    ],
    logFile,
  );
  const { default: mysql } = await import("mysql2/promise");
  const rootUrl = `mysql://root@127.0.0.1:${port}`;
  await waitFor("the database server", server.child, logFile, async () => {
    const connection = await mysql.createConnection(rootUrl);
    await connection.query("CREATE DATABASE IF NOT EXISTS app CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    await connection.end();
    return true;
  });
  return { ...server, mysqlUrl: `${rootUrl}/app`, port };
}

/** A throwaway Redis that keeps nothing on disk. */
export async function startRedisServer(
  dir: string,
  fixedPort?: number,
): Promise<StartedProcess & { redisUrl: string; port: number }> {
  const binary = findBinary("redis-server", "valkey-server");
  if (!binary) throw new Error("no redis-server binary found");
  const port = fixedPort ?? (await freePort());
  const logFile = join(dir, "redis.log");
  const server = startLogged(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    logFile,
  );
  const { createClient } = await import("redis");
  const redisUrl = `redis://127.0.0.1:${port}`;
  await waitFor("redis-server", server.child, logFile, async () => {
    const client = createClient({ url: redisUrl, socket: { reconnectStrategy: false } });
    client.on("error", () => undefined);
    await client.connect();
    await client.ping();
    await client.quit();
    return true;
  });
  return { ...server, redisUrl, port };
}
