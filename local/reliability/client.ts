// HTTP client for the reliability suite: every request has a deadline (a hang is a finding, not a
// stuck run), its own client IP (so per-IP limits never mix phases up), and is tallied.
import type { LocalStack } from "../stack.ts";

export interface Reply {
  status: number;
  ms: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: the suite reads arbitrary JSON envelopes
  body: any;
  headers: Headers;
  /** true when the request got no answer within the deadline. */
  hung: boolean;
}

export interface RequestSpec {
  method?: string;
  path: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

let clients = 0;
/** A fresh IPv4 client address per call (10.0.0.0/8, never routed: only a header). */
export function nextIp(): string {
  const n = ++clients;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export const HANG_MS = 15_000;

export async function send(base: string, spec: RequestSpec): Promise<Reply> {
  const headers = new Headers(spec.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", nextIp());
  let body = spec.body;
  if (spec.json !== undefined) {
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    body = JSON.stringify(spec.json);
  }
  const started = performance.now();
  try {
    const res = await fetch(`${base}${spec.path}`, {
      method: spec.method ?? "GET",
      headers,
      body,
      signal: AbortSignal.timeout(HANG_MS),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, ms: performance.now() - started, text, body: parsed, headers: res.headers, hung: false };
  } catch (error) {
    const hung = error instanceof Error && error.name === "TimeoutError";
    return {
      status: hung ? 0 : -1,
      ms: performance.now() - started,
      text: String(error),
      body: null,
      headers: new Headers(),
      hung,
    };
  }
}

/** The JSON envelope every answer must have (bare JWKS/OpenAPI/docs and bodiless answers excepted). */
export function isEnvelope(reply: Reply): boolean {
  const body = reply.body;
  if (!body || typeof body !== "object") return false;
  const ok = reply.status >= 200 && reply.status < 300;
  return (
    body.success === ok &&
    typeof body.message === "string" &&
    (ok ? body.error === null : body.data === null && typeof body.error?.code === "string")
  );
}

/** Counts answers by status (0 = hung, -1 = connection failed). */
export class Tally {
  readonly counts = new Map<number, number>();
  total = 0;
  add(reply: Reply): void {
    this.total++;
    this.counts.set(reply.status, (this.counts.get(reply.status) ?? 0) + 1);
  }
  /** 5xx other than 503: a 503 is the honest answer during an outage, anything else is a bug. */
  get serverErrors(): number {
    return [...this.counts].filter(([status]) => status >= 500 && status !== 503).reduce((sum, [, n]) => sum + n, 0);
  }
  get hangs(): number {
    return this.counts.get(0) ?? 0;
  }
  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a - b).map(([status, n]) => [String(status), n]));
  }
}

export const PASSWORD = "Reliable-passphrase-42";

/** A fresh account (and, with `login`, a session): the building block of every phase. */
export async function newAccount(base: string, prefix = "rel") {
  const username = `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const email = `${username}@example.com`;
  const created = await send(base, {
    method: "POST",
    path: "/auth/user/signup/",
    json: { username, email, password: PASSWORD, password2: PASSWORD },
  });
  if (created.status !== 201) throw new Error(`signup failed: ${created.status} ${created.text.slice(0, 200)}`);
  return { username, email, id: String(created.body.data.user_id) };
}

export async function loggedIn(base: string, prefix = "rel") {
  const account = await newAccount(base, prefix);
  const login = await send(base, {
    method: "POST",
    path: "/auth/user/login/",
    json: { username: account.username, password: PASSWORD },
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text.slice(0, 200)}`);
  return { ...account, access: String(login.body.data.access), refresh: String(login.body.data.refresh) };
}

/** The newest 6-digit code the dev outbox holds for `to` (the bench worker runs with the log provider). */
export async function latestCode(base: string, to: string, newerThan?: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const res = await send(base, { path: `/dev/outbox?to=${encodeURIComponent(to)}` });
    const text: string = res.body?.data?.messages?.[0]?.text ?? "";
    const code = /\b(\d{6})\b/.exec(text)?.[1];
    if (code && code !== newerThan) return code;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no code arrived for ${to}`);
}

export interface PhaseResult {
  phase: string;
  tally: Tally;
  /** Everything that broke a rule: a 5xx, a hang, a missing envelope, a lost write, a wrong race outcome. */
  violations: string[];
  /** Phase-specific numbers for the report. */
  notes: Record<string, unknown>;
}

/** What every phase gets: the worker's URL, the stack (with its fault controls) and the worker's pid. */
export interface Context {
  base: string;
  stack: LocalStack;
  workerPid: number;
}
