// Delivery ports: services send mail and SMS through these, never through a provider directly.
export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface SmsMessage {
  to: string;
  text: string;
}

export interface Mailer {
  send(message: EmailMessage): Promise<void>;
}

export interface SmsSender {
  send(message: SmsMessage): Promise<void>;
}

/** Where the development ("log") provider keeps what it "sent", for GET /dev/outbox. */
export interface Outbox {
  append(message: { to: string; subject: string; text: string }): Promise<void>;
}

/** The delivery settings the providers read (a subset of the worker's configuration). */
export interface DeliverySettings {
  EMAIL_PROVIDER: "log" | "resend";
  EMAIL_FROM: string;
  RESEND_API_KEY?: string;
  RESEND_API_URL: string;
  SMS_PROVIDER: "log" | "twilio";
  TWILIO_ACCOUNT_SID?: string;
  TWILIO_AUTH_TOKEN?: string;
  TWILIO_FROM?: string;
  TWILIO_API_URL: string;
  DELIVERY_TIMEOUT_MS: number;
}

/** A provider answered with an error or did not answer in time. */
export class DeliveryError extends Error {}
