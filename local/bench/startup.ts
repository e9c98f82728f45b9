// The worker's size and startup, as deployed: `wrangler deploy --dry-run --env production` with
// its source map (bytes per package, bundle-attribution.ts), and `wrangler check startup` (a CPU
// profile of the isolate evaluating the bundle's global scope, run locally, offline).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { bundleWorker, wranglerCompatibility } from "../workerd-runner.ts";
import { codeBySource } from "./bundle-attribution.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface Contributor {
  package: string;
  bytes: number;
  share_pct: number;
  /** Its part of the minified bundle gzipped on its own: an estimate, gzip is not additive. */
  gzip_alone_bytes: number;
}

export interface BundleReport {
  bytes: number;
  gzip_bytes: number;
  /** Wrangler's own "Total Upload" line, for comparison. */
  wrangler_says?: string;
  largest: Contributor[];
}

export interface StartupReport {
  /** CPU the isolate spent starting (profile samples that are not idle), ms: the median of the runs. */
  active_ms: number;
  /** The same for a worker that only answers "ok", measured between this worker's runs. */
  empty_worker_ms: number;
  /** active_ms - empty_worker_ms: what this worker's own code costs an isolate at start. */
  over_empty_ms: number;
  runs_ms: number[];
  empty_runs_ms: number[];
  gc_ms: number;
  profile_window_ms: number;
  /** Wrangler's own summary lines. */
  wrangler_says?: string;
  profile: string;
}

/** The package a source of the bundle belongs to: the last node_modules/<name> in its path; src/ is the service. */
function packageOf(source: string): string {
  // drizzle-orm publishes source maps naming its sources ../src/*.ts, which the bundle's map
  // chains to node_modules/src/ (no package name left); no other package here does.
  if (source.includes("node_modules/src/")) return "drizzle-orm";
  const match = [...source.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].pop();
  if (match?.[1]) return match[1];
  if (/(^|\/)src\/data\//.test(source)) return "src/data/ (the common-password list)";
  return /(^|\/)src\//.test(source) ? "src/ (the service's own code)" : "(other)";
}

export function bundleReport(dir: string): BundleReport {
  const outdir = join(dir, "bundle-production");
  const output = bundleWorker(outdir, ["--env", "production"]);
  const code = readFileSync(join(outdir, "index.js"), "utf8");
  // wrangler.toml uploads source maps, so the dry run writes one beside the bundle.
  const map = JSON.parse(readFileSync(join(outdir, "index.js.map"), "utf8")) as { sources: string[]; mappings: string };
  const largest = [...codeBySource(code, map, packageOf)]
    .map(([name, part]) => ({
      package: name,
      bytes: Buffer.byteLength(part),
      share_pct: Number(((100 * Buffer.byteLength(part)) / Buffer.byteLength(code)).toFixed(1)),
      gzip_alone_bytes: gzipSync(part).length,
    }))
    .sort((a, b) => b.gzip_alone_bytes - a.gzip_alone_bytes)
    .slice(0, 6);
  return {
    bytes: Buffer.byteLength(code),
    gzip_bytes: gzipSync(code).length,
    wrangler_says: /Total Upload:.*$/m.exec(output)?.[0]?.trim(),
    largest,
  };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface ProfiledStartup {
  active_ms: number;
  gc_ms: number;
  window_ms: number;
  text: string;
}

const PROFILER_GAP_US = 5000;

/** One `wrangler check startup` of a prebuilt bundle: the CPU profile's busy samples. */
function profiledStartup(bundle: string, profile: string, cwd: string): ProfiledStartup {
  const run = spawnSync(
    process.execPath,
    [join(root, "node_modules/wrangler/bin/wrangler.js"), "check", "startup", "--worker", bundle, "--outfile", profile],
    { cwd, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  if (run.status !== 0) throw new Error(`wrangler check startup failed:\n${run.stdout}\n${run.stderr}`);
  const parsed = JSON.parse(readFileSync(profile, "utf8")) as CpuProfile;
  const kind = new Map(parsed.nodes.map((node) => [node.id, node.callFrame.functionName]));
  let active = 0;
  let gc = 0;
  parsed.samples.forEach((id, i) => {
    const us = parsed.timeDeltas[i] ?? 0;
    const name = kind.get(id);
    // Samples come about every 1.1 ms; a gap of many times that is the profiler starting (an
    // empty worker's profile shows the same 16-18 ms gap, sometimes as idle, sometimes not).
    if (name === "(idle)" || us > PROFILER_GAP_US) return;
    active += us;
    if (name === "(garbage collector)") gc += us;
  });
  return {
    active_ms: active / 1000,
    gc_ms: gc / 1000,
    window_ms: (parsed.endTime - parsed.startTime) / 1000,
    text: `${run.stdout}\n${run.stderr}`,
  };
}

/** `wrangler deploy --dry-run --outfile`: the form check startup reads. */
function bundleFile(cwd: string, outfile: string, args: string[] = []): string {
  const built = spawnSync(
    process.execPath,
    [join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outfile", outfile, ...args],
    { cwd, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  if (built.status !== 0) throw new Error(`bundling in ${cwd} failed:\n${built.stdout}\n${built.stderr}`);
  return outfile;
}

/** This worker as deployed, and a worker that only answers "ok" (same compatibility settings). */
function startupBundles(dir: string): { worker: string; empty: string; emptyDir: string } {
  const worker = bundleFile(root, join(dir, "worker.bundle"), ["--env", "production"]);
  const emptyDir = join(dir, "empty-worker");
  mkdirSync(emptyDir, { recursive: true });
  writeFileSync(join(emptyDir, "index.js"), 'export default { fetch: () => new Response("ok") };\n');
  // The same compatibility date and flags (nodejs_compat's set-up is not this worker's own cost).
  const { date, flags } = wranglerCompatibility();
  writeFileSync(
    join(emptyDir, "wrangler.toml"),
    `name = "empty"\nmain = "index.js"\ncompatibility_date = "${date}"\ncompatibility_flags = ${JSON.stringify(flags)}\n`,
  );
  return { worker, empty: bundleFile(emptyDir, join(emptyDir, "worker.bundle")), emptyDir };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};
const oneDecimal = (value: number) => Number(value.toFixed(1));

/**
 * Startup CPU as the median of `runs` profiles, each next to a profile of an empty worker: a
 * single profile swings by a quarter on a shared machine, and what the empty worker shows is the
 * part no code of ours can remove.
 */
export function startupReport(dir: string, runs = 5): StartupReport {
  const { worker, empty, emptyDir } = startupBundles(dir);
  const profile = join(dir, "worker-startup.cpuprofile");
  const ours: ProfiledStartup[] = [];
  const baseline: ProfiledStartup[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(profiledStartup(worker, profile, root));
    baseline.push(profiledStartup(empty, join(emptyDir, "startup.cpuprofile"), emptyDir));
  }
  const active = median(ours.map((run) => run.active_ms));
  const emptyMs = median(baseline.map((run) => run.active_ms));
  const last = ours[ours.length - 1];
  return {
    active_ms: oneDecimal(active),
    empty_worker_ms: oneDecimal(emptyMs),
    over_empty_ms: oneDecimal(active - emptyMs),
    runs_ms: ours.map((run) => oneDecimal(run.active_ms)),
    empty_runs_ms: baseline.map((run) => oneDecimal(run.active_ms)),
    gc_ms: oneDecimal(median(ours.map((run) => run.gc_ms))),
    profile_window_ms: oneDecimal(last?.window_ms ?? 0),
    wrangler_says: /Active:.*$/m.exec(last?.text ?? "")?.[0]?.trim(),
    profile,
  };
}
