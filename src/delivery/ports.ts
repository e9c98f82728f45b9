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

/** A provider answered with an error or did not answer in time. */
export class DeliveryError extends Error {}
