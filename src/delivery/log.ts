// The development provider: messages go to the log and to the dev outbox (GET /dev/outbox).
import type { Redis } from "@upstash/redis/cloudflare";
import { log } from "../lib/log.ts";
import { appendToOutbox } from "../stores/outbox-store.ts";
import type { EmailMessage, Mailer, SmsMessage, SmsSender } from "./ports.ts";

export function logMailer(redis: Redis, now: () => Date): Mailer {
  return {
    async send(message: EmailMessage) {
      log.info("mail_logged", { to: message.to, subject: message.subject, text: message.text });
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
      log.info("sms_logged", { to: message.to, text: message.text });
      await appendToOutbox(redis, { to: message.to, subject: "SMS", text: message.text, created_at: now().toISOString() });
    },
  };
}
