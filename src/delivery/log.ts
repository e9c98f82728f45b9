// The development provider: messages go to the log and to the dev outbox (GET /dev/outbox).
import type { Redis } from "@upstash/redis/cloudflare";
import { appendToOutbox } from "../stores/outbox-store.ts";
import type { EmailMessage, Mailer, SmsMessage, SmsSender } from "./ports.ts";

export function logMailer(redis: Redis, now: () => Date): Mailer {
  return {
    async send(message: EmailMessage) {
      console.log(`[mail to ${message.to}] ${message.subject}\n${message.text}`);
      await appendToOutbox(redis, {
        to: message.to,
        subject: message.subject,
        text: message.text,
        created_at: now().toISOString(),
      });
    },
  };
}

export function logSmsSender(redis: Redis, now: () => Date): SmsSender {
  return {
    async send(message: SmsMessage) {
      console.log(`[sms to ${message.to}] ${message.text}`);
      await appendToOutbox(redis, { to: message.to, subject: "SMS", text: message.text, created_at: now().toISOString() });
    },
  };
}
