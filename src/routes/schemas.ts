// Shared zod pieces for request and response bodies.
import { z } from "@hono/zod-openapi";
import { CONTROL_CHARACTERS, USERNAME_PATTERN } from "../lib/identifiers.ts";
import { normalizeOtp } from "../lib/otp.ts";
import { TWO_FACTOR_METHODS } from "../lib/two-factor.ts";

/** Free text of at most `max` characters, without control characters. */
export const plainText = (max: number) =>
  z
    .string()
    .max(max, `Ensure this field has no more than ${max} characters.`)
    .refine((text) => !CONTROL_CHARACTERS.test(text), "Control characters are not allowed.");

// NFKC and trimming happen inside the string schema, so the OpenAPI document keeps its limits.
const normalized = () => z.string().normalize("NFKC").trim();

export const usernameField = () =>
  normalized()
    .min(1, "This field may not be blank.")
    .max(100, "Ensure this field has no more than 100 characters.")
    .regex(USERNAME_PATTERN, "Enter a valid username: letters, digits and . + - _ only.");

export const emailField = () =>
  normalized().max(254, "Ensure this field has no more than 254 characters.").email("Enter a valid email address.");

export const dateString = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "Date has wrong format. Use YYYY-MM-DD.")
  .refine((text) => {
    const date = new Date(`${text}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text) && text >= "1900-01-01";
  }, "Enter a real date on or after 1900-01-01.");

/** Integers may arrive as JSON numbers or digit strings (as the original's forms accepted). */
export const integerLike = z.union([z.number().int(), z.string().regex(/^\+?\d+$/, "A valid integer is required.")]);

export const genderSchema = z
  .union([z.literal(0), z.literal(1), z.literal(2), z.enum(["0", "1", "2"]).transform(Number)])
  .openapi({ description: "0 male, 1 female, 2 other", example: 2 });

export const userSchema = z
  .object({
    created_at: z.string(),
    user_id: z.string().uuid(),
    username: z.string(),
    first_name: z.string(),
    last_name: z.string(),
    email: z.string(),
    country_alpha_code: z.string().nullable(),
    country_phone_code: z.number().int().nullable(),
    country_name: z.string().nullable(),
    gender: z.number().int(),
    dob: z.string().nullable(),
    full_name: z.string(),
    age: z.number().int().nullable(),
    is_email_verified: z.boolean(),
    phone_number: z.string().nullable(),
    is_phone_number_verified: z.boolean(),
  })
  .openapi("User");

export const tokenPairSchema = z
  .object({
    access: z.string().openapi({ description: "Access JWT (typ at+jwt), sent as `Authorization: Bearer`" }),
    refresh: z.string().openapi({ description: "Refresh JWT (typ rt+jwt): single use, rotated by get-refresh" }),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ description: "Access token lifetime in seconds" }),
  })
  .openapi("TokenPair");

export const secondFactorRequiredSchema = z
  .object({
    mfa_required: z.literal(true),
    mfa_token: z.string().openapi({ description: "For POST /auth/secure/2fa/verify/: single use, 5 minutes" }),
    methods: z.array(z.enum([...TWO_FACTOR_METHODS, "passkey"])),
    passkey_options: z
      .object({ challenge: z.string(), rpId: z.string(), timeout: z.number(), userVerification: z.literal("required") })
      .optional()
      .openapi({
        description: "With `passkey` among the methods: for navigator.credentials.get(), its answer goes in `passkey`",
      }),
  })
  .openapi("SecondFactorRequired");

export const refreshBody = z.object({ refresh: z.string().min(1, "This field may not be blank.") }).openapi("RefreshRequest");

export const profileSchema = z
  .object({
    user: userSchema,
    phone_number: z.string().nullable(),
    is_phone_number_verified: z.boolean(),
    address: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    country_name: z.string().nullable(),
    postal_code: z.string().nullable(),
    referral_id: z.string(),
    referral_points: z.number().int(),
    two_factor_enabled: z.boolean(),
    two_factor_methods: z.array(z.enum(TWO_FACTOR_METHODS)),
  })
  .openapi("Profile");

/** A 6-digit code as a string ("012345") or a JSON number (12345): both mean the same code. */
export const otpSchema = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const code = normalizeOtp(value);
    if (code === null) {
      ctx.addIssue({ code: "custom", message: "Enter the 6-digit code." });
      return z.NEVER;
    }
    return code;
  })
  .openapi({ type: "string", example: "012345" });
