// The worker's configuration: the zod schema of every variable and secret, parsed once per
// isolate. The one place that says which settings exist, their defaults and their limits.

import { z } from "zod";
import { AppError } from "./lib/errors.ts";
import { isolateStats } from "./lib/isolate-stats.ts";
import { log } from "./lib/log.ts";
import { PBKDF2_MAX_ITERATIONS } from "./lib/password-hash.ts";
import { privateJwkSchema, publicJwkSchema } from "./lib/signing-keys.ts";
import { TWO_FACTOR_METHODS } from "./lib/two-factor.ts";
import { type OAuthSettings, readOAuthSettings } from "./oauth-config.ts";

/** A JSON value in a string binding (JWKs arrive as JSON text from secrets). */
const jsonText = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);

/** A comma-separated list in one string binding: items trimmed, empty ones dropped. */
const commaList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((list) =>
      list
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    );

/** A 256-bit key as base64 (`openssl rand -base64 32`). */
const aesKey = z.string().refine((text) => {
  try {
    return atob(text.trim()).length === 32;
  } catch {
    return false;
  }
}, "must be 32 bytes in base64 (openssl rand -base64 32)");

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/** A web origin (scheme, host, port: no path) or an Android app's `android:apk-key-hash:...`. */
const webauthnOrigin = z
  .string()
  .regex(
    /^(https?:\/\/[a-z0-9.-]+(:\d{1,5})?|android:apk-key-hash:[A-Za-z0-9_-]+)$/i,
    "must be origins like https://example.com",
  );

const configSchema = z
  .object({
    ENVIRONMENT: z.enum(["development", "test", "preview", "production"]),
    APP_NAME: z.string().min(1).default("LoginSystem Edge"),
    DATABASE_URL: httpUrl,
    UPSTASH_REDIS_REST_URL: httpUrl,
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1, "must not be empty"),
    PASSWORD_PEPPER: z.string().min(32, "must be at least 32 characters").optional(),
    PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).max(64).default(8),
    PBKDF2_ITERATIONS: z.coerce.number().int().min(10_000).max(PBKDF2_MAX_ITERATIONS).default(PBKDF2_MAX_ITERATIONS),
    CORS_ORIGINS: commaList(""),
    JWT_PRIVATE_KEY: jsonText(privateJwkSchema),
    JWT_PUBLIC_KEYS: jsonText(z.array(publicJwkSchema)).default([]),
    JWT_ISSUER: z.string().min(1).default("loginsystem-edge"),
    JWT_AUDIENCE: z.string().min(1).default("loginsystem-edge"),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3600).default(900),
    REFRESH_TOKEN_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(300)
      .max(90 * 86400)
      .default(86400),
    REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
    // One-time codes live at most 10 minutes.
    OTP_TTL_SECONDS: z.coerce.number().int().min(60).max(600).default(600),
    EMAIL_PROVIDER: z.enum(["log", "resend"]).default("log"),
    EMAIL_FROM: z.string().min(3).default("LoginSystem Edge <no-reply@example.com>"),
    RESEND_API_KEY: z.string().min(1).optional(),
    RESEND_API_URL: httpUrl.default("https://api.resend.com"),
    SMS_PROVIDER: z.enum(["log", "twilio"]).default("log"),
    TWILIO_ACCOUNT_SID: z.string().min(1).optional(),
    TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
    TWILIO_FROM: z.string().min(1).optional(),
    TWILIO_API_URL: httpUrl.default("https://api.twilio.com"),
    DELIVERY_TIMEOUT_MS: z.coerce.number().int().min(500).max(30_000).default(5000),
    // First delay of the delivery queue's retries, doubled at each further try (capped at 10 min).
    DELIVERY_RETRY_DELAY_SECONDS: z.coerce.number().int().min(0).max(600).default(5),
    // Webhooks: the delays (seconds) between a failing delivery's tries, about a day in all; the
    // queue's max_retries in wrangler.toml matches its length. Each try may take this long.
    WEBHOOK_RETRY_SCHEDULE: commaList("5,300,1800,7200,18000,36000,36000").pipe(
      z
        .array(
          z
            .string()
            .regex(/^\d{1,5}$/)
            .transform(Number)
            .pipe(z.number().max(43_200)),
        )
        .min(1)
        .max(20),
    ),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(500).max(15_000).default(15_000),
    // Deadline of one MySQL query / one Redis command: past it the request answers 503.
    DATABASE_TIMEOUT_MS: z.coerce.number().int().min(200).max(30_000).default(5000),
    REDIS_TIMEOUT_MS: z.coerce.number().int().min(200).max(30_000).default(3000),
    // Per-account lockout (password login and code checks): see docs/security.md, Abuse protection.
    LOCKOUT_THRESHOLD: z.coerce.number().int().min(3).max(50).default(5),
    LOCKOUT_BASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
    LOCKOUT_MAX_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
    LOCKOUT_WINDOW_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
    CAPTCHA_AFTER_FAILURES: z.coerce.number().int().min(1).max(50).default(3),
    TURNSTILE_SECRET_KEY: z.string().min(1).optional(),
    TURNSTILE_API_URL: httpUrl.default("https://challenges.cloudflare.com"),
    BREACHED_PASSWORD_CHECK: z.enum(["on", "off"]).default("off"),
    // Two-factor authentication: the AES-GCM key the TOTP secrets are sealed with (base64, 32
    // bytes), earlier keys still accepted for reading during a rotation, and the methods offered.
    TOTP_ENCRYPTION_KEY: aesKey.optional(),
    TOTP_PREVIOUS_ENCRYPTION_KEYS: commaList("").pipe(z.array(aesKey)),
    TWO_FACTOR_METHODS: commaList(TWO_FACTOR_METHODS.join(",")).pipe(
      z.array(z.enum(TWO_FACTOR_METHODS)).min(1, "name at least one of totp, sms, email"),
    ),
    PWNED_PASSWORDS_API_URL: httpUrl.default("https://api.pwnedpasswords.com"),
    // Passkeys: the relying party (the site's registrable domain, e.g. example.com), its name as
    // authenticators show it, and the exact origins allowed to use them. Required in production
    // and preview; development and tests default to localhost and http://localhost:8787.
    WEBAUTHN_RP_ID: z
      .string()
      .regex(/^[a-z0-9.-]+$/i, "must be a host name, like example.com")
      .optional(),
    WEBAUTHN_RP_NAME: z.string().min(1).max(100).optional(),
    WEBAUTHN_ORIGINS: commaList("").pipe(z.array(webauthnOrigin)),
    // Email sign-in codes (passwordless): off unless "on"; with a link URL, the mail also carries
    // <URL>#email=...&code=... (a fragment: no server or mail scanner sees the code).
    PASSWORDLESS_EMAIL: z.enum(["on", "off"]).default("off"),
    // A mail, a security event and a webhook flag for a sign-in from a device and network not
    // seen for the user in 90 days.
    NEW_DEVICE_NOTICES: z.enum(["on", "off"]).default("on"),
    PASSWORDLESS_LINK_URL: httpUrl.optional(),
  })
  .superRefine((config, ctx) => {
    // Each provider needs its credentials; production must really deliver (the log provider
    // would write codes into logs).
    const need = (when: boolean, names: (keyof typeof config)[]) => {
      for (const name of names)
        if (when && !config[name]) ctx.addIssue({ code: "custom", path: [name], message: "required by the chosen provider" });
    };
    need(config.EMAIL_PROVIDER === "resend", ["RESEND_API_KEY"]);
    need(config.SMS_PROVIDER === "twilio", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"]);
    if (config.ENVIRONMENT === "production" || config.ENVIRONMENT === "preview") {
      need(true, ["WEBAUTHN_RP_ID"]);
      if (config.WEBAUTHN_ORIGINS.length === 0)
        ctx.addIssue({ code: "custom", path: ["WEBAUTHN_ORIGINS"], message: "required: the origins passkeys are used from" });
    }
    if (config.ENVIRONMENT === "production") {
      if (config.EMAIL_PROVIDER === "log")
        ctx.addIssue({ code: "custom", path: ["EMAIL_PROVIDER"], message: "log is not allowed in production" });
      if (config.SMS_PROVIDER === "log")
        ctx.addIssue({ code: "custom", path: ["SMS_PROVIDER"], message: "log is not allowed in production" });
    }
  })
  .transform((config) => ({
    ...config,
    WEBAUTHN_RP_ID: config.WEBAUTHN_RP_ID ?? "localhost",
    WEBAUTHN_RP_NAME: config.WEBAUTHN_RP_NAME ?? config.APP_NAME,
    WEBAUTHN_ORIGINS: config.WEBAUTHN_ORIGINS.length > 0 ? config.WEBAUTHN_ORIGINS : ["http://localhost:8787"],
  }));

/** The settings, with the "sign in with" providers (read by name from the bindings, see oauth-config.ts). */
export type Config = z.infer<typeof configSchema> & { OAUTH: OAuthSettings };

/** Every setting as the runtime hands it over: a string binding (a var or a secret), or unset. */
export type ConfigVars = { [K in keyof z.input<typeof configSchema>]?: string };

// Bindings are fixed for an isolate's life, so each distinct bindings object is parsed once.
const parsed = new WeakMap<object, Config>();

export function loadConfig(bindings: object): Config {
  const cached = parsed.get(bindings);
  if (cached) {
    isolateStats.configCacheHits++;
    return cached;
  }
  isolateStats.configParsed++;
  // Empty strings mean "not set" (an empty .dev.vars line, an unset wrangler var).
  const present = Object.fromEntries(Object.entries(bindings).filter(([, value]) => typeof value === "string" && value !== ""));
  const result = configSchema.safeParse(present);
  const oauth = readOAuthSettings(present as Record<string, string>, String(present.ENVIRONMENT ?? ""));
  const problems = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => ({ variable: issue.path.join(".") || "(bindings)", problem: issue.message }))),
    ...oauth.problems,
  ];
  if (!result.success || problems.length > 0) {
    // Name the variables, never their values: they are secrets.
    for (const { variable, problem } of problems) log.error("config_error", { variable, problem });
    throw new AppError("CONFIG_ERROR");
  }
  const config = { ...result.data, OAUTH: oauth.settings };
  parsed.set(bindings, config);
  return config;
}
