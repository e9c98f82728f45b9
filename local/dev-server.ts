// `npm run dev` as a user runs it (local stack + wrangler dev), started from a script: for the
// tests and the reliability suite that must hold against what developers really run. It gets a
// free port and its own process group (wrangler's workerd and the stack die with it).
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort } from "./processes.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export interface DevServer {
  url: string;
  /** true while the dev process (and so wrangler) has not exited. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `npm run dev` (node local/dev.ts) on a free port, logging to `logFile`; resolves once /health answers. */
export async function startDevServer(logFile: string): Promise<DevServer> {
  const port = await freePort();
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", `${root}local/dev.ts`], {
    cwd: root,
    detached: true,
    stdio: ["ignore", log, log],
    env: { ...process.env, PORT: String(port) },
  });
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const alive = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (!alive() || !child.pid) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid, "SIGTERM");
    const force = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 15_000);
    await exited;
    clearTimeout(force);
  };
  for (let attempt = 0; attempt < 240; attempt++) {
    if (!alive()) throw new Error(`npm run dev exited early:\n${readFileSync(logFile, "utf8").slice(-3000)}`);
    const health = await fetch(`${url}/health`).catch(() => null);
    if (health?.status === 200) return { url, alive, stop };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await stop();
  throw new Error(`npm run dev did not answer /health within 120 s:\n${readFileSync(logFile, "utf8").slice(-3000)}`);
}
