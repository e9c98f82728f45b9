// Chooses the mail and SMS providers from configuration.
import { logMailer, logSmsSender } from "./log.ts";
import type { DeliverySettings, Mailer, Outbox, SmsSender } from "./ports.ts";
import { resendMailer } from "./resend.ts";
import { twilioSender } from "./twilio.ts";

export function createMailer(config: DeliverySettings, outbox: Outbox): Mailer {
  if (config.EMAIL_PROVIDER === "resend") {
    return resendMailer({
      apiUrl: config.RESEND_API_URL,
      apiKey: String(config.RESEND_API_KEY),
      from: config.EMAIL_FROM,
      timeoutMs: config.DELIVERY_TIMEOUT_MS,
    });
  }
  return logMailer(outbox);
}

export function createSmsSender(config: DeliverySettings, outbox: Outbox): SmsSender {
  if (config.SMS_PROVIDER === "twilio") {
    return twilioSender({
      apiUrl: config.TWILIO_API_URL,
      accountSid: String(config.TWILIO_ACCOUNT_SID),
      authToken: String(config.TWILIO_AUTH_TOKEN),
      from: String(config.TWILIO_FROM),
      timeoutMs: config.DELIVERY_TIMEOUT_MS,
    });
  }
  return logSmsSender(outbox);
}
