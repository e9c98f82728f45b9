// What goes on the delivery queue: one message to send, by email or SMS.
import type { EmailMessage, SmsMessage } from "./ports.ts";

export type DeliveryJob =
  | { kind: "email"; what: string; message: EmailMessage }
  | { kind: "sms"; what: string; message: SmsMessage };

/** A job as a log line may show it: what it was and to whom (masked), never its text (it holds a code). */
export function describeJob(job: DeliveryJob): string {
  const to = job.message.to;
  const masked = to.includes("@") ? `${to.slice(0, 1)}***@${to.split("@")[1] ?? ""}` : `***${to.slice(-2)}`;
  return `${job.kind} "${job.what}" to ${masked}`;
}
