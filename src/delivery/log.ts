// The development provider: messages go to the log and to the dev outbox (GET /dev/outbox).
import { log } from "../lib/log.ts";
import type { EmailMessage, Mailer, Outbox, SmsMessage, SmsSender } from "./ports.ts";

export function logMailer(outbox: Outbox): Mailer {
  return {
    async send(message: EmailMessage) {
      log.info("mail_logged", { to: message.to, subject: message.subject, text: message.text });
      await outbox.append({ to: message.to, subject: message.subject, text: message.text });
    },
  };
}

export function logSmsSender(outbox: Outbox): SmsSender {
  return {
    async send(message: SmsMessage) {
      log.info("sms_logged", { to: message.to, text: message.text });
      await outbox.append({ to: message.to, subject: "SMS", text: message.text });
    },
  };
}
