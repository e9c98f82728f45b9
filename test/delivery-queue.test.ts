// Durable delivery: the request path only enqueues; the worker's queue consumer sends, retries a
// failing provider with growing delays, and logs what ends in the dead-letter queue without its
// text (which holds a code). The consumer is driven both through the real (miniflare) queue and
// directly with built batches, against the local fake Resend.
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../src/app.ts";
import type { DeliveryJob } from "../src/delivery/jobs.ts";
import { handleQueue, retryDelaySeconds } from "../src/queue.ts";
import { buildRequest, eventually, latestCode, readResponse, uniqueName, userWithSession } from "./helpers.ts";

const fake = inject("fakeProvidersUrl");
const resendEnv = { ...env, EMAIL_PROVIDER: "resend", RESEND_API_KEY: "re_test_key", RESEND_API_URL: fake };

interface Recorded {
  body: string;
  status: number;
}
const requestsTo = async (address: string) =>
  ((await (await fetch(`${fake}/__requests`)).json()) as Recorded[]).filter((r) => r.body.includes(address));

function emailJob(to: string, code = "482913"): DeliveryJob {
  return {
    kind: "email",
    what: "test code",
    message: { to, subject: "Your code", text: `Your code is ${code}.`, html: `<p>${code}</p>` },
  };
}

/** Runs the consumer on one message as its `attempts`-th delivery; returns what it decided. */
async function consume(queue: string, job: DeliveryJob, attempts: number, target: object = resendEnv) {
  const batch = createMessageBatch<DeliveryJob>(queue, [{ id: `m-${uniqueName()}`, timestamp: new Date(), attempts, body: job }]);
  const ctx = createExecutionContext();
  // The result says which messages were retried, not with what delay: the delay is read off the call.
  const retry = vi.spyOn(batch.messages[0] as Message<DeliveryJob>, "retry");
  await handleQueue(batch, target as typeof env);
  const result = await getQueueResult(batch, ctx);
  return { ...result, delays: retry.mock.calls.map(([options]) => options?.delaySeconds) };
}

afterEach(() => vi.restoreAllMocks());

describe("the request path", () => {
  it("only enqueues: the worker's consumer delivers (here with the log provider), not the request's provider", async () => {
    const { user } = await userWithSession();
    // The request runs with Resend configured; the queue's consumer runs with the worker's own
    // settings (the log provider): the mail reaching the outbox and not Resend proves who sent it.
    const res = await readResponse(
      createApp().fetch(buildRequest("POST", "/auth/password/forget/", { json: { email: user.email } }), resendEnv),
    );
    expect(res.status).toBe(200);
    expect(await latestCode(user.email)).toMatch(/^\d{6}$/);
    expect(await requestsTo(user.email)).toEqual([]);
  });
});

describe("the queue consumer", () => {
  it("acknowledges a message once the provider took it", async () => {
    const to = `${uniqueName()}@example.com`;
    const result = await consume("loginsystem-edge-delivery", emailJob(to), 1);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    expect((await requestsTo(to)).map((r) => r.status)).toEqual([200]);
  });

  it("retries while the provider is down, and delivers once it is up again", async () => {
    // The fake answers 503 to a "flaky" body the first time, 200 after.
    const to = `flaky_${uniqueName()}@example.com`;
    const first = await consume("loginsystem-edge-delivery", emailJob(to), 1);
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toHaveLength(1);
    expect(first.delays).toEqual([5]);
    const second = await consume("loginsystem-edge-delivery", emailJob(to), 2);
    expect(second.explicitAcks).toHaveLength(1);
    expect((await requestsTo(to)).map((r) => r.status)).toEqual([503, 200]);
  });

  it("backs off 5, 10, 20 ... seconds between tries, never more than 10 minutes", async () => {
    const to = `always-fail_${uniqueName()}@example.com`;
    const delays = [];
    for (let attempts = 1; attempts <= 3; attempts++) {
      const result = await consume("loginsystem-edge-delivery", emailJob(to), attempts);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(...result.delays);
    }
    expect(delays).toEqual([5, 10, 20]);
    expect([1, 4, 8, 12].map((attempts) => retryDelaySeconds(5, attempts))).toEqual([5, 40, 600, 600]);
  });

  it("logs a message that lands in the dead-letter queue once, without its text or full address", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const to = `always-fail_${uniqueName()}@example.com`;
    const result = await consume("loginsystem-edge-delivery-dlq", emailJob(to, "731904"), 9);
    expect(result.explicitAcks).toHaveLength(1);
    const lines = errors.mock.calls.map((call) => call.join(" "));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: "error", event: "delivery_dead_letter", attempts: 9 });
    expect(lines[0]).toContain('email \\"test code\\"');
    expect(lines[0]).not.toContain("731904");
    expect(lines[0]).not.toContain(to);
    // The dead-letter consumer never calls the provider.
    expect(await requestsTo(to)).toEqual([]);
  });

  it("logs failed tries without the message's code", async () => {
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const to = `always-fail_${uniqueName()}@example.com`;
    await consume("loginsystem-edge-delivery", emailJob(to, "604152"), 1);
    const line =
      (await eventually(async () =>
        warnings.mock.calls.map((call) => call.join(" ")).find((l) => l.includes('"event":"delivery_failed"')),
      )) ?? "";
    expect(JSON.parse(line)).toMatchObject({ level: "warn", attempts: 1, retry_in_seconds: 5 });
    expect(line).not.toContain("604152");
  });
});
