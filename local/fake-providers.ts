// A local stand-in for the email and SMS providers' HTTP APIs (Resend, Twilio), for tests: it
// records every request it receives so tests can assert the exact payloads. Real HTTP, no mocks.
//   - a body mentioning "always-fail" is answered 500, every time;
//   - a body mentioning "flaky" is answered 503 the first time, then 200.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
