// A webhook receiver for the tests: a real HTTP server on 127.0.0.1 that records what it is sent,
// per key in the path, and answers as the path asks: `POST /hook/<key>` answers 204;
// `?fail=N` answers 500 to the key's first N deliveries; `?redirect=1` answers 302 (which must not
// be followed). `GET /received/<key>` lists what arrived: headers, body, and the status given.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

interface Received {
  headers: Record<string, string>;
  body: string;
  status: number;
}

export async function startWebhookReceiver() {
  const received = new Map<string, Received[]>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const [, kind, key = ""] = url.pathname.split("/");
    if (req.method === "GET" && kind === "received") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(received.get(key) ?? []));
      return;
    }
    if (req.method !== "POST" || kind !== "hook" || !key) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const list = received.get(key) ?? [];
    const failures = Number(url.searchParams.get("fail") ?? "0");
    const status = url.searchParams.has("redirect") ? 302 : list.length < failures ? 500 : 204;
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : String(value)]),
    );
    list.push({ headers, body: Buffer.concat(chunks).toString("utf8"), status });
    received.set(key, list);
    res.writeHead(
      status,
      status === 302 ? { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook/elsewhere` } : {},
    );
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
