// A local stand-in for the providers' HTTP APIs, for tests: real HTTP, no mocks.
// Email and SMS (Resend, Twilio): it records every request so tests can assert the exact payloads.
//   - a body mentioning "always-fail" is answered 500, every time;
//   - a body mentioning "flaky" is answered 503 the first time, then 200.
// Turnstile's siteverify and Pwned Passwords' range API are answered by their own handlers below.

import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { FAKE_PWNED } from "./fake-pwned-passwords.ts";

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string;
  contentType: string;
  body: string;
  status: number;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeProviders(): Promise<{ url: string; close: () => Promise<void> }> {
  const recorded: RecordedRequest[] = [];
  const seenFlaky = new Set<string>();
  const server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    if (req.method === "GET" && path.startsWith("/__requests")) {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(recorded));
    }
    if (path.startsWith("/turnstile/")) return answerSiteverify(await readBody(req), res);
    if (path === "/__range-requests") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(rangeRequests));
    }
    if (path.startsWith("/range/")) return answerRange(req, path.slice("/range/".length), res);
    const body = await readBody(req);
    let status = 200;
    if (body.includes("always-fail")) status = 500;
    else if (body.includes("flaky") && !seenFlaky.has(body)) {
      seenFlaky.add(body);
      status = 503;
    }
    recorded.push({
      method: req.method ?? "",
      path,
      authorization: req.headers.authorization ?? "",
      contentType: req.headers["content-type"] ?? "",
      body,
      status,
    });
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(status === 200 ? { id: `fake-${recorded.length}` } : { message: "fake failure" }));
  });
  return listenLocally(server, () => server.closeAllConnections());
}

/** Turnstile tokens the fake accepts start with "pass"; "down" makes it fail as Turnstile can. */
function answerSiteverify(body: string, res: ServerResponse): void {
  // The worker posts multipart form data: pull the `response` field's value out of it.
  const token = /name="response"\r\n\r\n([^\r]*)/.exec(body)?.[1] ?? new URLSearchParams(body).get("response") ?? "";
  if (token.startsWith("down")) {
    res.writeHead(500, { "content-type": "application/json" });
    return void res.end(JSON.stringify({ success: false, "error-codes": ["internal-error"] }));
  }
  const success = token.startsWith("pass");
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ success, "error-codes": success ? [] : ["invalid-input-response"] }));
}

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex").toUpperCase();
/** What reached the range API: the path's prefix and the Add-Padding header, nothing else is sent. */
const rangeRequests: { prefix: string; padding: string }[] = [];

function answerRange(req: IncomingMessage, prefix: string, res: ServerResponse): void {
  rangeRequests.push({ prefix, padding: String(req.headers["add-padding"] ?? "") });
  if (sha1(FAKE_PWNED.failing).startsWith(prefix)) {
    res.writeHead(503);
    return void res.end("unavailable");
  }
  const lines = FAKE_PWNED.breached
    .map(sha1)
    .filter((hash) => hash.startsWith(prefix))
    .map((hash) => `${hash.slice(5)}:42`);
  // Padding as the real API adds it: entries with a count of 0 that match nothing.
  for (let i = 0; i < 5; i++) lines.push(`${sha1(`padding-${prefix}-${i}`).slice(5)}:0`);
  const answer = () => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(lines.join("\r\n"));
  };
  if (sha1(FAKE_PWNED.slow).startsWith(prefix)) setTimeout(answer, 3000);
  else answer();
}

/**
 * A server that accepts connections and never answers: a stalled database or Redis, for the
 * tests of request deadlines. Point DATABASE_URL or UPSTASH_REDIS_REST_URL at its URL.
 */
export async function startStallServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
  });
  return listenLocally(server, () => {
    for (const socket of sockets) socket.destroy();
  });
}

/** An answer that begins after `headersAfterMs` and whose body follows `bodyAfterMs` later. */
export interface SlowAnswer {
  headersAfterMs: number;
  bodyAfterMs: number;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An HTTP proxy in front of a protocol server that fails (503, as an unreachable upstream would
 * look), or answers late, every request whose body matches `failWhen`, and forwards the rest
 * unchanged: a fault at one precise step of an operation, for the tests of what it leaves behind.
 */
export async function startFaultProxy(
  target: string,
  failWhen: RegExp,
  /**
   * "fail": answer 503 without forwarding; "late": forward, then hold the answer back a while;
   * a SlowAnswer: forward, then send the answer's head and its body at those delays.
   */
  mode: "fail" | "late" | SlowAnswer = "fail",
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const matched = failWhen.test(body);
    if (matched && mode === "fail") {
      res.writeHead(503, { "content-type": "text/plain" });
      return void res.end("injected fault");
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([name, value]) => typeof value === "string" && !["host", "content-length", "connection"].includes(name),
      ),
    ) as Record<string, string>;
    const upstream = await fetch(`${target}${req.url ?? "/"}`, { method: req.method, headers, body: body || undefined });
    const answer = Buffer.from(await upstream.arrayBuffer());
    const head = { "content-type": upstream.headers.get("content-type") ?? "application/json" };
    if (matched && typeof mode === "object") {
      // The caller may have given up meanwhile: writing to its closed connection is no error here.
      res.on("error", () => undefined);
      await pause(mode.headersAfterMs);
      res.writeHead(upstream.status, head);
      res.flushHeaders();
      await pause(mode.bodyAfterMs);
      return void res.end(answer);
    }
    // The write happened; only its answer is late (past the caller's deadline).
    if (matched) await pause(1500);
    res.writeHead(upstream.status, head);
    res.end(answer);
  });
  return listenLocally(server, () => server.closeAllConnections());
}

/** Listens on a free loopback port; `close` first drops open connections (`dropConnections`). */
async function listenLocally(
  server: { listen(port: number, host: string, done: () => void): unknown; address(): unknown; close(done: () => void): unknown },
  dropConnections: () => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        dropConnections();
        server.close(() => resolve());
      }),
  };
}
