// Small HTTP helpers shared by the local protocol servers (PlanetScale HTTP, Upstash REST).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Thrown by a handler whose own backend (the real MySQL or Redis behind a protocol server) could
 * not be reached: answered as a gateway would, 502 with a plain-text page, not as a reply of the
 * backend itself (a Redis error reply is a JSON {error}; a lost connection is not one).
 */
export class UpstreamUnavailable extends Error {}

export type JsonHandler = (req: IncomingMessage, body: unknown) => Promise<{ status: number; body: unknown }>;

/** Per-path request counters, readable at GET /__stats and cleared by POST /__stats/reset. */
export class RequestCounter {
  private counts = new Map<string, number>();

  count(path: string): void {
    this.counts.set(path, (this.counts.get(path) ?? 0) + 1);
  }

  snapshot(): { total: number; byPath: Record<string, number> } {
    const byPath = Object.fromEntries(this.counts);
    const total = [...this.counts.values()].reduce((sum, n) => sum + n, 0);
    return { total, byPath };
  }

  reset(): void {
    this.counts.clear();
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export interface RunningServer {
  url: string;
  port: number;
  counter: RequestCounter;
  close(): Promise<void>;
}

/**
 * Starts a JSON-over-HTTP server on 127.0.0.1. Every request except the stats endpoints is
 * counted under its path before the handler runs, so the counters equal the round trips
 * a client made.
 */
export async function startJsonServer(options: {
  port?: number;
  authorize: (req: IncomingMessage) => boolean;
  unauthorized: unknown;
  handle: JsonHandler;
}): Promise<RunningServer> {
  const counter = new RequestCounter();
  const server: Server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    try {
      if (path === "/__stats" && req.method === "GET") return sendJson(res, 200, counter.snapshot());
      if (path === "/__stats/reset" && req.method === "POST") {
        counter.reset();
        return sendJson(res, 200, { ok: true });
      }
      counter.count(path);
      if (!options.authorize(req)) return sendJson(res, 401, options.unauthorized);
      const raw = await readBody(req);
      let body: unknown = null;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          return sendJson(res, 400, { error: "request body is not JSON" });
        }
      }
      const result = await options.handle(req, body);
      sendJson(res, result.status, result.body);
    } catch (error) {
      if (error instanceof UpstreamUnavailable) {
        if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end(`502 Bad Gateway: ${error.message}\n`);
        return;
      }
      console.error(`[local] ${path}:`, error);
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counter,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Constant-time enough for a local dev server; production auth is PlanetScale's/Upstash's own. */
export function headerEquals(req: IncomingMessage, name: string, expected: string): boolean {
  return req.headers[name.toLowerCase()] === expected;
}
