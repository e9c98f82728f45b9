// The worker's size and startup, as deployed: `wrangler deploy --dry-run --env production` with
// esbuild's metafile (bytes per package), and `wrangler check startup` (a CPU profile of the
// isolate evaluating the bundle's global scope, run locally, offline).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { bundleWorker } from "../workerd-runner.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface Contributor {
  package: string;
  bytes: number;
  share_pct: number;
  /** Its input files gzipped on their own: an estimate, gzip is not additive. */
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
  /** CPU the isolate spent starting (profile samples that are not idle), ms. */
  active_ms: number;
  gc_ms: number;
  profile_window_ms: number;
  /** Wrangler's own summary lines. */
  wrangler_says?: string;
  profile: string;
}

/** The package an esbuild input belongs to: the last node_modules/<name> in its path; src/ is the service. */
function packageOf(input: string): string {
  const match = [...input.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)].pop();
  if (match?.[1]) return match[1];
  return input.startsWith("src/") ? "src/ (the service's own code)" : "(other)";
}

export function bundleReport(dir: string): BundleReport {
  const outdir = join(dir, "bundle-production");
  const metafile = join(dir, "bundle-production.meta.json");
  const output = bundleWorker(outdir, ["--env", "production", "--metafile", metafile]);
  const meta = JSON.parse(readFileSync(metafile, "utf8")) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const [, bundle] = Object.entries(meta.outputs).find(([name]) => name.endsWith("index.js")) ?? [];
  if (!bundle) throw new Error("the metafile names no index.js output");
  const code = readFileSync(join(outdir, "index.js"));
  const byPackage = new Map<string, { bytes: number; inputs: string[] }>();
  for (const [input, { bytesInOutput }] of Object.entries(bundle.inputs)) {
    const name = packageOf(input);
    const entry = byPackage.get(name) ?? { bytes: 0, inputs: [] };
    entry.bytes += bytesInOutput;
    entry.inputs.push(input);
    byPackage.set(name, entry);
  }
  const largest = [...byPackage.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, 3)
    .map(([name, { bytes, inputs }]) => {
      const sources = inputs.map((input) => {
        try {
          return readFileSync(join(root, input));
        } catch {
          return Buffer.alloc(0);
        }
      });
      return {
        package: name,
        bytes,
        share_pct: Number(((100 * bytes) / code.length).toFixed(1)),
        gzip_alone_bytes: gzipSync(Buffer.concat(sources)).length,
      };
    });
  return {
    bytes: code.length,
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

export function startupReport(dir: string): StartupReport {
  const profile = join(dir, "worker-startup.cpuprofile");
  const run = spawnSync(
    process.execPath,
    [join(root, "node_modules/wrangler/bin/wrangler.js"), "check", "startup", "--env", "production", "--outfile", profile],
    { cwd: root, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  if (run.status !== 0) throw new Error(`wrangler check startup failed:\n${run.stdout}\n${run.stderr}`);
  const parsed = JSON.parse(readFileSync(profile, "utf8")) as CpuProfile;
  const kind = new Map(parsed.nodes.map((node) => [node.id, node.callFrame.functionName]));
  let active = 0;
  let gc = 0;
  parsed.samples.forEach((id, i) => {
    const us = parsed.timeDeltas[i] ?? 0;
    const name = kind.get(id);
    if (name === "(idle)") return;
    active += us;
    if (name === "(garbage collector)") gc += us;
  });
  const text = `${run.stdout}\n${run.stderr}`;
  const says = /Active:.*$/m.exec(text)?.[0]?.trim();
  return {
    active_ms: Number((active / 1000).toFixed(1)),
    gc_ms: Number((gc / 1000).toFixed(1)),
    profile_window_ms: Number(((parsed.endTime - parsed.startTime) / 1000).toFixed(1)),
    wrangler_says: says,
    profile,
  };
}
