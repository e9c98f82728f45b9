// Sending never holds up a response. With the delivery queue bound (every deployment), the
// request only enqueues, after the response: the queue's consumer sends, retries with backoff for
// minutes, and parks what still fails in a dead-letter queue. Without it (plain workerd in the
// benchmarks) the message is sent after the response with one retry. A final failure is logged
// with the request id, never silently lost.
import type { DeliveryJob } from "../delivery/jobs.ts";
import type { EmailMessage } from "../delivery/ports.ts";
import type { DeliveryDeps, Deps } from "../deps.ts";
import type { Logger } from "../lib/log.ts";

async function withOneRetry(log: Logger, send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    log.warn("delivery_retry", { error });
    await send();
  }
}

function deliver(deps: Pick<Deps, "background" | "deliveryQueue" | "log" | "mailer" | "sms">, job: DeliveryJob): void {
  const queue = deps.deliveryQueue;
  if (queue) {
    deps.background(`queueing ${job.what} ${job.kind}`, async () => {
      await queue.send(job);
    });
    return;
  }
  deps.background(`sending ${job.what} ${job.kind}`, () =>
    withOneRetry(deps.log, () => (job.kind === "email" ? deps.mailer.send(job.message) : deps.sms.send(job.message))),
  );
}

export function sendEmail(deps: DeliveryDeps, what: string, message: EmailMessage): void {
  deliver(deps, { kind: "email", what, message });
}

export function sendSms(deps: DeliveryDeps, what: string, to: string, text: string): void {
  deliver(deps, { kind: "sms", what, message: { to, text } });
}

/** The development outbox: what the "log" provider sent to `to`, newest first. */
export function outboxFor(deps: Pick<Deps, "outbox">, to: string) {
  return deps.outbox.read(to);
}
