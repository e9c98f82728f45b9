// Sending never holds up a response: it runs after it, is retried once, and a final failure is
// logged with the request id (by deps.background), never silently lost.
import type { EmailMessage } from "../delivery/ports.ts";
import type { Deps } from "../env.ts";

async function withOneRetry(send: () => Promise<void>): Promise<void> {
  try {
    await send();
  } catch (error) {
    console.warn("delivery failed, retrying once:", error instanceof Error ? error.message : error);
    await send();
  }
}

export function sendEmail(deps: Deps, what: string, message: EmailMessage): void {
  deps.background(`sending ${what} email`, () => withOneRetry(() => deps.mailer.send(message)));
}

export function sendSms(deps: Deps, what: string, to: string, text: string): void {
  deps.background(`sending ${what} SMS`, () => withOneRetry(() => deps.sms.send({ to, text })));
}
