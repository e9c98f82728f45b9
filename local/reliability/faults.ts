// Faults under load: each of MySQL, Redis and the two protocol servers in front of them is paused
// (SIGSTOP: connections stay open, nothing answers) or killed, while a steady mix of signups, token
// checks and health checks runs; then it comes back. Every answer must be a 2xx/4xx or a 503
// envelope, within the dependency deadline (1 s here) plus slack, never a 500 or a hang; the worker
// must recover without a restart; and every signup that answered 201 must be in MySQL afterwards.
import mysql from "mysql2/promise";
import type { StackComponent } from "../stack.ts";
import { type Context, isEnvelope, loggedIn, PASSWORD, type PhaseResult, type Reply, send, Tally } from "./client.ts";

interface Fault {
  name: string;
  apply: () => Promise<void> | void;
  revert: () => Promise<void> | void;
}

// The deadline is 1 s; a 503 may take a little longer (a failing request can meet it twice, e.g. a
// read and the lockout script), but never the many seconds of a hang.
const SLOW_MS = 3_000;
const FAULT_MS = 4_000;
const RECOVERY_LIMIT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runFaults(context: Context): Promise<PhaseResult> {
  const { base, stack } = context;
  const control = stack.control;
  const tally = new Tally();
  const violations: string[] = [];
  const created: string[] = [];
  const session = await loggedIn(base, "fault");
  const paused = (component: "mysql" | "redis"): Fault => ({
    name: `${component} paused`,
    apply: () => control.pause(component),
    revert: () => control.resume(component),
  });
  const killed = (component: StackComponent): Fault => ({
    name: `${component} killed`,
    apply: () => control.kill(component),
    revert: () => control.restart(component),
  });
  const faults = [paused("mysql"), paused("redis"), killed("planetscale"), killed("upstash"), killed("mysql"), killed("redis")];

  let phase = "healthy";
  let running = true;
  const seen: { phase: string; at: number; reply: Reply; what: string }[] = [];
  const one = async (i: number) => {
    const kind = i % 3;
    const name = `flt_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const reply =
      kind === 0
        ? await send(base, {
            method: "POST",
            path: "/auth/user/signup/",
            json: { username: name, email: `${name}@example.com`, password: PASSWORD, password2: PASSWORD },
          })
        : kind === 1
          ? await send(base, { method: "POST", path: "/auth/jwt/check/", headers: { authorization: `Bearer ${session.access}` } })
          : await send(base, { path: "/health" });
    if (kind === 0 && reply.status === 201) created.push(name);
    const what = ["signup", "check", "health"][kind] ?? "";
    seen.push({ phase, at: performance.now(), reply, what });
    tally.add(reply);
    const ok = reply.status < 500 || (reply.status === 503 && isEnvelope(reply));
    if (!ok || reply.hung) violations.push(`${phase}: ${what} answered ${reply.status} ${reply.text.slice(0, 120)}`);
    if (reply.ms > SLOW_MS) violations.push(`${phase}: ${what} took ${Math.round(reply.ms)} ms`);
  };
  // Four clients in a closed loop: a steady load that a stalled dependency would pile up behind.
  const load = Promise.all(
    Array.from({ length: 4 }, async (_, client) => {
      for (let i = client; running; i += 4) await one(i);
    }),
  );

  const report: Record<string, unknown> = {};
  for (const fault of faults) {
    phase = `before ${fault.name}`;
    await sleep(1_000);
    phase = fault.name;
    const appliedAt = performance.now();
    await fault.apply();
    await sleep(FAULT_MS);
    const during = seen.filter((entry) => entry.phase === fault.name);
    const first503 = during.find((entry) => entry.reply.status === 503);
    phase = `after ${fault.name}`;
    const revertedAt = performance.now();
    await fault.revert();
    // Recovered: signup, check and health all answered 2xx again (after a restart of Redis its
    // data is gone, so a session made before may be unknown: a 401 there counts as served too).
    let recoveredAt: number | undefined;
    while (!recoveredAt && performance.now() - revertedAt < RECOVERY_LIMIT_MS) {
      await sleep(100);
      const since = seen.filter((entry) => entry.at > revertedAt);
      const served = (what: string) => since.some((entry) => entry.what === what && entry.reply.status < 500);
      if (served("signup") && served("check") && served("health")) recoveredAt = since.at(-1)?.at;
    }
    if (!recoveredAt) violations.push(`${fault.name}: not recovered ${RECOVERY_LIMIT_MS / 1000} s after it was undone`);
    report[fault.name] = {
      requests: during.length,
      statuses: countBy(during.map((entry) => entry.reply.status)),
      first_503_ms: first503 ? Math.round(first503.at - appliedAt) : null,
      max_ms: Math.round(Math.max(0, ...during.map((entry) => entry.reply.ms))),
      recovered_ms: recoveredAt ? Math.round(recoveredAt - revertedAt) : null,
    };
  }
  running = false;
  await load;

  const lost = await lostWrites(stack.mysqlUrl, created);
  if (lost.length > 0)
    violations.push(`lost writes: ${lost.length} signups answered 201 but are not in MySQL (${lost.slice(0, 3).join(", ")})`);
  return { phase: "faults", tally, violations, notes: { ...report, signups_created: created.length, lost_writes: lost.length } };
}

function countBy(values: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** The usernames (answered 201) that MySQL does not have. */
export async function lostWrites(mysqlUrl: string, usernames: string[]): Promise<string[]> {
  if (usernames.length === 0) return [];
  const connection = await mysql.createConnection(mysqlUrl);
  try {
    const [rows] = await connection.query("SELECT username FROM users WHERE username IN (?)", [usernames]);
    const found = new Set((rows as { username: string }[]).map((row) => row.username));
    return usernames.filter((name) => !found.has(name));
  } finally {
    await connection.end();
  }
}
