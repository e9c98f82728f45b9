// The worker's configuration: the zod schema of every variable and secret, parsed once per
// isolate. The one place that says which settings exist, their defaults and their limits.
//
// Written with zod/mini (functions, not methods): the same validation and messages (zod's core)
// as the classic API the routes use, but each schema is a plain object instead of one carrying
// every method, and this schema has a few hundred of them: with the classic API the whole
// worker's start-up took about 4 ms more CPU and twice the garbage collection.
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { AppError } from "./lib/errors.ts";
import { isolateStats } from "./lib/isolate-stats.ts";
import { log } from "./lib/log.ts";
import { PBKDF2_MAX_ITERATIONS } from "./lib/password-hash.ts";
import { privateJwkSchema, publicJwkSchema } from "./lib/signing-keys.ts";
import { TWO_FACTOR_METHODS } from "./lib/two-factor.ts";
import { type OAuthSettings, readOAuthSettings } from "./oauth-config.ts";

// English messages (what the log's config_error lines say): zod/mini sets no locale of its own,
// and the classic API sets this one only when it makes its first schema.
z.config(en());

/** A JSON value in a string binding (JWKs arrive as JSON text from secrets). */
const jsonText = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.issues.push({ code: "custom", message: "must be JSON", input: text });
          return z.NEVER;
        }
      }),
    ),
    schema,
  );

/** A comma-separated list in one string binding: items trimmed, empty ones dropped. */
const commaList = (fallback: string) =>
  z.pipe(
    z._default(z.string(), fallback),
    z.transform((list) =>
      list
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  );

/** A whole number from a string binding, within [min, max], `fallback` when unset. */
const wholeNumber = (min: number, max: number, fallback: number) =>
  z._default(z.pipe(z.coerce.number(), z.int().check(z.minimum(min), z.maximum(max))), fallback);

/** A non-empty string setting that may be left unset. */
const optionalText = () => z.optional(z.string().check(z.minLength(1)));

/** A 256-bit key as base64 (`openssl rand -base64 32`). */
const aesKey = z.string().check(
  z.refine((text) => {
    try {
      return atob(text.trim()).length === 32;
    } catch {
      return false;
    }
  }, "must be 32 bytes in base64 (openssl rand -base64 32)"),
);

const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

/** A web origin (scheme, host, port: no path) or an Android app's `android:apk-key-hash:...`. */
const webauthnOrigin = z
  .string()
  .check(
    z.regex(
      /^(https?:\/\/[a-z0-9.-]+(:\d{1,5})?|android:apk-key-hash:[A-Za-z0-9_-]+)$/i,
      "must be origins like https://example.com",
    ),
  );

const onOff = (fallback: "on" | "off") => z._default(z.enum(["on", "off"]), fallback);

const settingsSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "preview", "production"]),
  APP_NAME: z._default(z.string().check(z.minLength(1)), "LoginSystem Edge"),
  DATABASE_URL: httpUrl,
  UPSTASH_REDIS_REST_URL: httpUrl,
  UPSTASH_REDIS_REST_TOKEN: z.string().check(z.minLength(1, "must not be empty")),
  PASSWORD_PEPPER: z.optional(z.string().check(z.minLength(32, "must be at least 32 characters"))),
  PASSWORD_MIN_LENGTH: wholeNumber(8, 64, 8),
  PBKDF2_ITERATIONS: wholeNumber(10_000, PBKDF2_MAX_ITERATIONS, PBKDF2_MAX_ITERATIONS),
  CORS_ORIGINS: commaList(""),
  JWT_PRIVATE_KEY: jsonText(privateJwkSchema),
  JWT_PUBLIC_KEYS: z._default(jsonText(z.array(publicJwkSchema)), []),
  JWT_ISSUER: z._default(z.string().check(z.minLength(1)), "loginsystem-edge"),
  JWT_AUDIENCE: z._default(z.string().check(z.minLength(1)), "loginsystem-edge"),
  ACCESS_TOKEN_TTL_SECONDS: wholeNumber(60, 3600, 900),
  REFRESH_TOKEN_TTL_SECONDS: wholeNumber(300, 90 * 86400, 86400),
  REFRESH_REUSE_GRACE_SECONDS: wholeNumber(0, 60, 10),
  // One-time codes live at most 10 minutes.
  OTP_TTL_SECONDS: wholeNumber(60, 600, 600),
  EMAIL_PROVIDER: z._default(z.enum(["log", "resend"]), "log"),
  EMAIL_FROM: z._default(z.string().check(z.minLength(3)), "LoginSystem Edge <no-reply@example.com>"),
  RESEND_API_KEY: optionalText(),
  RESEND_API_URL: z._default(httpUrl, "https://api.resend.com"),
  SMS_PROVIDER: z._default(z.enum(["log", "twilio"]), "log"),
  TWILIO_ACCOUNT_SID: optionalText(),
  TWILIO_AUTH_TOKEN: optionalText(),
  TWILIO_FROM: optionalText(),
  TWILIO_API_URL: z._default(httpUrl, "https://api.twilio.com"),
  DELIVERY_TIMEOUT_MS: wholeNumber(500, 30_000, 5000),
  // First delay of the delivery queue's retries, doubled at each further try (capped at 10 min).
  DELIVERY_RETRY_DELAY_SECONDS: wholeNumber(0, 600, 5),
  // Webhooks: the delays (seconds) between a failing delivery's tries, about a day in all; the
  // queue's max_retries in wrangler.toml matches its length. Each try may take this long.
  WEBHOOK_RETRY_SCHEDULE: z.pipe(
    commaList("5,300,1800,7200,18000,36000,36000"),
    z
      .array(z.pipe(z.pipe(z.string().check(z.regex(/^\d{1,5}$/)), z.transform(Number)), z.number().check(z.maximum(43_200))))
      .check(z.minLength(1), z.maxLength(20)),
  ),
  WEBHOOK_TIMEOUT_MS: wholeNumber(500, 15_000, 15_000),
  // Deadline of one MySQL query / one Redis command: past it the request answers 503.
  DATABASE_TIMEOUT_MS: wholeNumber(200, 30_000, 5000),
  REDIS_TIMEOUT_MS: wholeNumber(200, 30_000, 3000),
  // Per-account lockout (password login and code checks): see docs/security.md, Abuse protection.
  LOCKOUT_THRESHOLD: wholeNumber(3, 50, 5),
  LOCKOUT_BASE_SECONDS: wholeNumber(1, 3600, 60),
  LOCKOUT_MAX_SECONDS: wholeNumber(1, 86_400, 900),
  LOCKOUT_WINDOW_SECONDS: wholeNumber(60, 86_400, 900),
  CAPTCHA_AFTER_FAILURES: wholeNumber(1, 50, 3),
  TURNSTILE_SECRET_KEY: optionalText(),
  TURNSTILE_API_URL: z._default(httpUrl, "https://challenges.cloudflare.com"),
  BREACHED_PASSWORD_CHECK: onOff("off"),
  // Two-factor authentication: the AES-GCM key the TOTP secrets are sealed with (base64, 32
  // bytes), earlier keys still accepted for reading during a rotation, and the methods offered.
  TOTP_ENCRYPTION_KEY: z.optional(aesKey),
  TOTP_PREVIOUS_ENCRYPTION_KEYS: z.pipe(commaList(""), z.array(aesKey)),
  TWO_FACTOR_METHODS: z.pipe(
    commaList(TWO_FACTOR_METHODS.join(",")),
    z.array(z.enum(TWO_FACTOR_METHODS)).check(z.minLength(1, "name at least one of totp, sms, email")),
  ),
  PWNED_PASSWORDS_API_URL: z._default(httpUrl, "https://api.pwnedpasswords.com"),
  // Passkeys: the relying party (the site's registrable domain, e.g. example.com), its name as
  // authenticators show it, and the exact origins allowed to use them. Required in production
  // and preview; development and tests default to localhost and http://localhost:8787.
  WEBAUTHN_RP_ID: z.optional(z.string().check(z.regex(/^[a-z0-9.-]+$/i, "must be a host name, like example.com"))),
  WEBAUTHN_RP_NAME: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  WEBAUTHN_ORIGINS: z.pipe(commaList(""), z.array(webauthnOrigin)),
  // Email sign-in codes (passwordless): off unless "on"; with a link URL, the mail also carries
  // <URL>#email=...&code=... (a fragment: no server or mail scanner sees the code).
  PASSWORDLESS_EMAIL: onOff("off"),
  // A mail, a security event and a webhook flag for a sign-in from a device and network not
  // seen for the user in 90 days.
  NEW_DEVICE_NOTICES: onOff("on"),
  PASSWORDLESS_LINK_URL: z.optional(httpUrl),
});

type Settings = z.output<typeof settingsSchema>;

const configSchema = z.pipe(
  settingsSchema.check(
    z.superRefine((config: Settings, ctx) => {
      // Each provider needs its credentials; production must really deliver (the log provider
      // would write codes into logs).
      const need = (when: boolean, names: (keyof Settings)[]) => {
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
    }),
  ),
  z.transform((config: Settings) => ({
    ...config,
    WEBAUTHN_RP_ID: config.WEBAUTHN_RP_ID ?? "localhost",
    WEBAUTHN_RP_NAME: config.WEBAUTHN_RP_NAME ?? config.APP_NAME,
    WEBAUTHN_ORIGINS: config.WEBAUTHN_ORIGINS.length > 0 ? config.WEBAUTHN_ORIGINS : ["http://localhost:8787"],
  })),
);

/** The settings, with the "sign in with" providers (read by name from the bindings, see oauth-config.ts). */
export type Config = z.output<typeof configSchema> & { OAUTH: OAuthSettings };

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
