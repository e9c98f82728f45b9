// Soak: mixed traffic at a fixed rate (open loop: requests start on schedule whether or not
// earlier ones finished, as real clients do) for a while. Zero 5xx, zero hangs, no lost writes,
// and the worker process's memory about where it started.
import { readFileSync } from "node:fs";
import { type Context, isEnvelope, loggedIn, PASSWORD, type PhaseResult, type Reply, send, Tally } from "./client.ts";
import { lostWrites } from "./faults.ts";

const RATE_PER_SECOND = 25;
// Allowed growth of the worker's resident memory from the first to the last sample.
const MEMORY_GROWTH_LIMIT = 1.5;

/** Resident memory of a process in MiB (Linux), or 0 where /proc is not there. */
function residentMiB(pid: number): number {
  try {
    const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kib ? Math.round(Number(kib) / 1024) : 0;
  } catch {
    return 0;
  }
}

export async function runSoak(context: Context, seconds: number): Promise<PhaseResult> {
  const { base } = context;
  const tally = new Tally();
  const violations: string[] = [];
  const created: string[] = [];
  const sessions = await Promise.all(Array.from({ length: 5 }, () => loggedIn(base, "soak")));
  const latencies: number[] = [];

  // Per 20 requests: 2 signups, 2 logins (each one PBKDF2), 8 checks, 4 refreshes, 4 profile reads.
  const mix = [
    "signup",
    "signup",
    "login",
    "login",
    ...Array(8).fill("check"),
    ...Array(4).fill("access"),
    ...Array(4).fill("profile"),
  ];
  const request = async (i: number): Promise<Reply> => {
    const session = sessions[i % sessions.length] ?? sessions[0];
    const bearer = { authorization: `Bearer ${session?.access}` };
    switch (mix[i % mix.length]) {
      case "signup": {
        const name = `soak_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
        const reply = await send(base, {
          method: "POST",
          path: "/auth/user/signup/",
          json: { username: name, email: `${name}@example.com`, password: PASSWORD, password2: PASSWORD },
        });
        if (reply.status === 201) created.push(name);
        return reply;
      }
      case "login":
        return send(base, {
          method: "POST",
          path: "/auth/user/login/",
          json: { username: session?.username, password: PASSWORD },
        });
      case "check":
        return send(base, { method: "POST", path: "/auth/jwt/check/", headers: bearer });
      case "access":
        return send(base, { method: "POST", path: "/auth/jwt/get-access/", json: { refresh: session?.refresh } });
      default:
        return send(base, { path: "/profile/", headers: bearer });
    }
  };

  const memory: number[] = [residentMiB(context.workerPid)];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  const total = Math.round(seconds * RATE_PER_SECOND);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE_PER_SECOND;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (i % (RATE_PER_SECOND * 5) === 0) memory.push(residentMiB(context.workerPid));
    pending.push(
      request(i).then((reply) => {
        tally.add(reply);
        latencies.push(reply.ms);
        if (reply.status >= 500 || reply.hung || !isEnvelope(reply)) {
          violations.push(`${mix[i % mix.length]} answered ${reply.status} ${reply.text.slice(0, 120)}`);
        }
      }),
    );
  }
  await Promise.all(pending);
  memory.push(residentMiB(context.workerPid));

  const lost = await lostWrites(context.stack.mysqlUrl, created);
  if (lost.length > 0) violations.push(`lost writes: ${lost.length} signups answered 201 but are not in MySQL`);
  const first = memory.find((value) => value > 0) ?? 0;
  const last = memory.at(-1) ?? 0;
  if (first > 0 && last > first * MEMORY_GROWTH_LIMIT) violations.push(`worker memory grew from ${first} MiB to ${last} MiB`);
  latencies.sort((a, b) => a - b);
  const pick = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  return {
    phase: "soak",
    tally,
    violations,
    notes: {
      seconds,
      rate_per_second: RATE_PER_SECOND,
      achieved_per_second: Math.round(tally.total / ((performance.now() - started) / 1000)),
      p50_ms: pick(0.5),
      p99_ms: pick(0.99),
      signups_created: created.length,
      lost_writes: lost.length,
      worker_memory_mib: memory,
    },
  };
}
