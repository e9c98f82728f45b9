// Email through Resend's HTTP API (POST /emails, Bearer key): a plain JSON call over fetch that
// works from Workers without SMTP or SDKs.
import { postToProvider } from "./http.ts";
import type { EmailMessage, Mailer } from "./ports.ts";

export function resendMailer(options: { apiUrl: string; apiKey: string; from: string; timeoutMs: number }): Mailer {
  return {
    send: (message: EmailMessage) =>
      postToProvider(
        `${options.apiUrl.replace(/\/$/, "")}/emails`,
        {
          headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({
            from: options.from,
            to: [message.to],
            subject: message.subject,
            text: message.text,
            html: message.html,
          }),
        },
        options.timeoutMs,
      ),
  };
}
