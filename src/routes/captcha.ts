// Where a client puts its Turnstile token: the widget's own form field name in a JSON body, or a
// header (for HTTP Basic logins, which have no body).
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../env.ts";

export const CAPTCHA_FIELD = "cf-turnstile-response";

export const captchaField = {
  [CAPTCHA_FIELD]: z
    .string()
    .max(4096)
    .optional()
    .openapi({ description: "Turnstile token, when the service requires a challenge (or the CF-Turnstile-Response header)" }),
};

export function captchaToken(c: Context<AppEnv>, fromBody: string | undefined): string | undefined {
  return fromBody ?? c.req.header("CF-Turnstile-Response") ?? undefined;
}
