// POST /auth/user/signup/
import { createRoute, z } from "@hono/zod-openapi";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { signUp } from "../services/signup-service.ts";
import { CAPTCHA_FIELD, captchaField, captchaToken } from "./captcha.ts";
import { errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { dateString, emailField, genderSchema, integerLike, plainText, usernameField, userSchema } from "./schemas.ts";

const signupBody = z
  .object({
    username: usernameField(),
    email: emailField(),
    password: z.string().min(1, "This field may not be blank."),
    password2: z.string(),
    first_name: plainText(150).default(""),
    last_name: plainText(150).default(""),
    country_alpha_code: plainText(5).nullish(),
    country_name: plainText(100).nullish(),
    country_phone_code: integerLike.nullish(),
    gender: genderSchema.default(2),
    dob: dateString.nullish(),
    phone_number: plainText(32).nullish(),
    ...captchaField,
  })
  .openapi("SignupRequest", {
    example: {
      username: "asha",
      email: "asha@example.com",
      password: "correct-horse-42",
      password2: "correct-horse-42",
      first_name: "Asha",
      last_name: "Rao",
      country_alpha_code: "IN",
      gender: 1,
      dob: "1994-05-17",
      phone_number: "98765 43210",
    },
  });

const signupRoute = createRoute({
  method: "post",
  path: "/auth/user/signup",
  tags: ["auth"],
  summary: "Create an account",
  description:
    "Fields not listed (is_email_verified, user_id, full_name, ...) are ignored. Duplicates are judged on the canonical (NFKC, lower-case) username and email.",
  middleware: [action("signup"), limitPerIp("signup")] as const,
  request: jsonBody(signupBody),
  responses: {
    429: errorResponse("RATE_LIMITED: too many requests from this client IP, or the account is cooling down (Retry-After)"),
    201: jsonContent(successEnvelope(userSchema), "The new user's public fields"),
    400: errorResponse(
      "VALIDATION_ERROR with field details (including duplicate username/email or a breached password), INVALID_JSON, CAPTCHA_REQUIRED or CAPTCHA_INVALID",
    ),
    503: errorResponse("CAPTCHA_UNAVAILABLE: Turnstile is on and could not be asked (fails closed)"),
  },
});

export const signupRoutes = createRouter().openapi(signupRoute, async (c) => {
  const body = c.req.valid("json");
  const user = await signUp(c.var.deps, body, captchaToken(c, body[CAPTCHA_FIELD]));
  return ok(c, user, 201);
});
