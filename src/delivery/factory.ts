// Chooses the mail and SMS providers from configuration.
import type { Redis } from "@upstash/redis/cloudflare";
import type { Config } from "../env.ts";
import { logMailer, logSmsSender } from "./log.ts";
import type { Mailer, SmsSender } from "./ports.ts";
import { resendMailer } from "./resend.ts";
import { twilioSender } from "./twilio.ts";

export function createMailer(config: Config, redis: Redis, now: () => Date): Mailer {
  if (config.EMAIL_PROVIDER === "resend") {
    return resendMailer({
      apiUrl: config.RESEND_API_URL,
      apiKey: String(config.RESEND_API_KEY),
      from: config.EMAIL_FROM,
      timeoutMs: config.DELIVERY_TIMEOUT_MS,
    });
  }
  return logMailer(redis, now);
}

export function createSmsSender(config: Config, redis: Redis, now: () => Date): SmsSender {
  if (config.SMS_PROVIDER === "twilio") {
    return twilioSender({
      apiUrl: config.TWILIO_API_URL,
      accountSid: String(config.TWILIO_ACCOUNT_SID),
      authToken: String(config.TWILIO_AUTH_TOKEN),
      from: String(config.TWILIO_FROM),
      timeoutMs: config.DELIVERY_TIMEOUT_MS,
    });
  }
  return logSmsSender(redis, now);
}
