// Runs the worker's production bundle under plain `workerd serve` (no wrangler proxy or
// inspector in front), for benchmarks: `wrangler deploy --dry-run` bundles it, and a small capnp
// config gives it its bindings and a network limited to this machine.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateSigningKey } from "../src/lib/signing-keys.ts";
import { freePort } from "./processes.ts";
import { type LocalStack, startLocalStack, stopOnExit } from "./stack.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

/** The compatibility date and flags the deployed worker gets: the ones in wrangler.toml. */
export function wranglerCompatibility(): { date: string; flags: string[] } {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return { date, flags: [...flags.matchAll(/"([^"]+)"/g)].map((match) => String(match[1])) };
}

/** The workerd binary wrangler itself runs, for this platform (the `workerd` package resolves it). */
export function workerdBinary(): string {
  const fromWrangler = createRequire(join(root, "node_modules/wrangler/package.json"));
  return fromWrangler("workerd").default as string;
}

function capnpText(value: string): string {
  return JSON.stringify(value); // capnp text literals use the same escapes as JSON strings
}

/**
 * `wrangler deploy --dry-run --outdir <outdir>` from the repository root, plus `args` (e.g.
 * `--config`, `--env`, or another entry script): the bundle as it would be uploaded. Returns wrangler's output.
 */
export function bundleWorker(outdir: string, args: string[] = []): string {
  const bundled = spawnSync(
    process.execPath,
    [join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", outdir, ...args],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    },
  );
  if (bundled.status !== 0) throw new Error(`bundling failed:\n${bundled.stdout}\n${bundled.stderr}`);
  return `${bundled.stdout}\n${bundled.stderr}`;
}

export async function startWorkerd(
  bindings: Record<string, string>,
  dir: string,
  options: WorkerdOptions = {},
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  bundleWorker(join(dir, "build"), options.bundleArgs);
  return serveBundledWorker(bindings, dir, options);
}

export interface WorkerdOptions {
  /** Polled until it answers (any status); default /health. */
  readyPath?: string;
  /** workerd's stdout and stderr (the worker's logs) go to this file instead of this terminal. */
  logFile?: string;
  /** Opens workerd's inspector (Chrome DevTools protocol) on this port: CPU profiles (npm run bench:profile). */
  inspectorPort?: number;
  /** More `wrangler deploy` flags for the bundle (the profiler's --no-minify, for readable names). */
  bundleArgs?: string[];
}

/**
 * Serves `<dir>/build/index.js` (an ES module bundle, e.g. from bundleWorker) under plain
 * `workerd serve` with text bindings, the wrangler.toml compatibility settings and a network
 * limited to this machine; resolves once `readyPath` answers.
 */
export async function serveBundledWorker(
  bindings: Record<string, string>,
  dir: string,
  options: WorkerdOptions = {},
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const compatibility = wranglerCompatibility();
  const config = `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    # Only this machine: the worker talks to the local stack and nothing else.
    (name = "local-network", network = (allow = ["local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [(name = "index.js", esModule = embed "build/index.js")],
  compatibilityDate = ${capnpText(compatibility.date)},
  compatibilityFlags = [${compatibility.flags.map(capnpText).join(", ")}],
  globalOutbound = "local-network",
  bindings = [
${Object.entries(bindings)
  .map(([name, value]) => `    (name = ${capnpText(name)}, text = ${capnpText(value)}),`)
  .join("\n")}
  ],
);
`;
  const configPath = join(dir, "workerd.capnp");
  writeFileSync(configPath, config);
  const binary = workerdBinary();
  const output = options.logFile ? openSync(options.logFile, "a") : "inherit";
  const inspector = options.inspectorPort ? [`--inspector-addr=127.0.0.1:${options.inspectorPort}`] : [];
  const child: ChildProcess = spawn(binary, ["serve", configPath, "--experimental", ...inspector], {
    stdio: ["ignore", output, output],
  });
  if (typeof output === "number") closeSync(output); // the child has its own copy
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}`);
    if (await fetch(`${url}${options.readyPath ?? "/health"}`).catch(() => null)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    /** For reading the process's memory (soak tests) and CPU time (benchmarks). */
    pid: child.pid ?? 0,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/**
 * The local stack plus the production bundle under workerd, in development mode with fresh
 * secrets: what the benchmark and the timing check measure. Both stop on exit or with `stop`.
 */
export async function startWorkerdOnStack(
  dir: string,
  extraBindings: Record<string, string> = {},
  options: Pick<WorkerdOptions, "logFile" | "inspectorPort" | "bundleArgs"> = {},
) {
  const stack: LocalStack = await startLocalStack();
  const { privateJwk } = await generateSigningKey();
  const worker = await startWorkerd(
    {
      ENVIRONMENT: "development",
      DATABASE_URL: stack.databaseUrl,
      UPSTASH_REDIS_REST_URL: stack.redisRestUrl,
      UPSTASH_REDIS_REST_TOKEN: stack.redisRestToken,
      PASSWORD_PEPPER: randomBytes(32).toString("base64url"),
      TOTP_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      JWT_PRIVATE_KEY: JSON.stringify(privateJwk),
      ...extraBindings,
    },
    dir,
    options,
  ).catch(async (error: unknown) => {
    await stack.stop();
    throw error;
  });
  const stop = async () => {
    await worker.stop();
    await stack.stop();
  };
  stopOnExit(stop);
  return { stack, worker, stop };
}
