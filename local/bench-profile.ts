// npm run bench:profile: CPU profiles of the hot endpoints in workerd, through its inspector (the
// Chrome DevTools protocol's Profiler). For each endpoint: N requests (after a warm-up) under a
// sampling profiler, then the functions with the most self time. Writes
// .local/bench/profile-<key>.cpuprofile (open in Chrome DevTools) and prints the top of each.
//   npm run bench:profile -- [--only check,get-access,profile,login-json] [--requests 400] [--top 12]
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Fixtures } from "./bench/fixtures.ts";
import { call } from "./bench/measure.ts";
import { SCENARIOS } from "./bench/scenarios.ts";
import { freePort } from "./processes.ts";
import { startWorkerdOnStack } from "./workerd-runner.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "check,get-access,profile,login-json" },
    requests: { type: "string", default: "400" },
    top: { type: "string", default: "12" },
  },
});
const keys = (values.only ?? "").split(",").filter(Boolean);
const requests = Number(values.requests);
const top = Number(values.top);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One DevTools protocol session over the inspector's WebSocket. */
async function devtools(port: number) {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error("workerd's inspector lists no target");
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let next = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  };
  return {
    send: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve) => {
        const id = next++;
        pending.set(id, resolve as (result: unknown) => void);
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/** Self time per function (ms), largest first: "(program)", "(garbage collector)" and "(idle)" included. */
function selfTimes(profile: Profile): { name: string; ms: number; share: number }[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((nodeId, index) => {
    const node = byNode.get(nodeId);
    const delta = (profile.timeDeltas[index] ?? 0) / 1000;
    if (!node) return;
    const frame = node.callFrame;
    const where = frame.url ? `${frame.url.split("/").pop()}:${frame.lineNumber + 1}` : "";
    const name = `${frame.functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
    totals.set(name, (totals.get(name) ?? 0) + delta);
    all += delta;
  });
  const busy = all - (totals.get("(idle)") ?? 0);
  return [...totals.entries()]
    .filter(([name]) => name !== "(idle)")
    .map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10, share: Math.round((ms / busy) * 1000) / 10 }))
    .sort((a, b) => b.ms - a.ms);
}

const dir = fileURLToPath(new URL("../.local/bench", import.meta.url));
mkdirSync(dir, { recursive: true });
const inspectorPort = await freePort();
const { worker, stop } = await startWorkerdOnStack(
  join(dir, "profile-worker"),
  {},
  // Not minified, unlike a deployment: the profile names functions as the sources do.
  { logFile: join(dir, "profile-workerd.log"), inspectorPort, bundleArgs: ["--no-minify"] },
);
try {
  const session = await devtools(inspectorPort);
  await session.send("Profiler.enable");
  await session.send("Profiler.setSamplingInterval", { interval: 100 });
  const fixtures = new Fixtures(worker.url);
  for (let i = 0; i < 30; i++) await call(worker.url, { method: "GET", path: "/health" });
  for (const key of keys) {
    const scenario = SCENARIOS.find((candidate) => candidate.key === key);
    if (!scenario) throw new Error(`no bench scenario ${key}`);
    const count = scenario.heavy ? Math.max(20, Math.round(requests / 10)) : requests;
    const load = await scenario.prepare(fixtures, count + 20, 1);
    // Warm-up outside the profile (JIT, caches).
    for (let i = 0; i < 20; i++) load.after?.(await call(worker.url, load.request(i, 0)), i, 0);
    await session.send("Profiler.start");
    for (let i = 20; i < count + 20; i++) {
      const answer = await call(worker.url, load.request(i, 0));
      load.after?.(answer, i, 0);
      if (answer.status !== scenario.expect) throw new Error(`${key}: ${answer.status} ${answer.text.slice(0, 200)}`);
    }
    const { profile } = await session.send<{ profile: Profile }>("Profiler.stop");
    writeFileSync(join(dir, `profile-${key}.cpuprofile`), JSON.stringify(profile));
    const times = selfTimes(profile);
    const busy = times.reduce((sum, item) => sum + item.ms, 0);
    console.log(`\n${scenario.name}: ${count} requests, ${Math.round((busy / count) * 100) / 100} ms of isolate CPU per request`);
    console.log("| self ms | share | function |\n|---:|---:|---|");
    for (const item of times.slice(0, top)) console.log(`| ${item.ms} | ${item.share}% | ${item.name} |`);
  }
  session.close();
} finally {
  await stop();
}
