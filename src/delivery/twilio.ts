// SMS through Twilio's REST API (Messages resource, form-encoded, HTTP Basic with the account SID).
import { postToProvider } from "./http.ts";
import type { SmsMessage, SmsSender } from "./ports.ts";

export function twilioSender(options: {
  apiUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
  timeoutMs: number;
}): SmsSender {
  const url = `${options.apiUrl.replace(/\/$/, "")}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  return {
    send: (message: SmsMessage) =>
      postToProvider(
        url,
        {
          headers: {
            authorization: `Basic ${btoa(`${options.accountSid}:${options.authToken}`)}`,
            "content-type": "application/x-www-form-urlencoded",
          },
          body: new URLSearchParams({ To: message.to, From: options.from, Body: message.text }).toString(),
        },
        options.timeoutMs,
      ),
  };
}
