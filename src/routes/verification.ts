// POST /auth/verify/{email,phone}/ send a code; POST /auth/confirm/{email,phone}/ {otp} confirm it.
import { createRoute, z } from "@hono/zod-openapi";
import { requireAuth, requireAuthCheckedByScript } from "../middleware/auth.ts";
import { limitPerIp } from "../middleware/rate-limit.ts";
import { type Channel, confirmVerification, startVerification } from "../services/verification-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { otpSchema } from "./schemas.ts";

const sendRoute = (channel: Channel) =>
  createRoute(
    bearerRoute({
      method: "post",
      path: `/auth/verify/${channel}`,
      tags: ["verification"],
      summary: `Send a 6-digit code to the account's ${channel === "email" ? "email address" : "phone number (SMS)"}`,
      middleware: [action(`${channel} otp sent`), limitPerIp("otp"), requireAuth()] as const,
      responses: {
        200: jsonContent(successEnvelope(z.string()), "Sent, or already verified (then nothing is sent)"),
        ...(channel === "phone" ? { 400: errorResponse("VALIDATION_ERROR: no phone number on the account") } : {}),
        429: errorResponse(
          "RATE_LIMITED: a code was sent less than 60 s ago, or too many requests from this client IP (Retry-After)",
        ),
      },
    }),
  );

const confirmRoute = (channel: Channel) =>
  createRoute(
    bearerRoute({
      method: "post",
      path: `/auth/confirm/${channel}`,
      tags: ["verification"],
      summary: `Confirm the ${channel} with the code: the verified flag is stored`,
      // The code check folds in the access token's revocation check: one Redis script in all.
      middleware: [action(`${channel} confirm`), limitPerIp("otp"), requireAuthCheckedByScript()] as const,
      request: jsonBody(z.object({ otp: otpSchema })),
      responses: {
        429: errorResponse("RATE_LIMITED: too many requests from this client IP, or the account is cooling down (Retry-After)"),
        200: jsonContent(successEnvelope(z.string()), "Verified"),
        400: errorResponse("OTP_INVALID (wrong, expired, used, or too many tries), or VALIDATION_ERROR"),
      },
    }),
  );

const LABEL: Record<Channel, string> = { email: "Email", phone: "Phone" };

const router = createRouter();
for (const channel of ["email", "phone"] as const) {
  router.openapi(sendRoute(channel), async (c) => {
    const result = await startVerification(c.var.deps, c.var.auth.sub, channel);
    const text =
      result === "sent" ? `OTP sent to your ${channel === "email" ? "email" : "phone"}` : `${LABEL[channel]} already verified`;
    return ok(c, text, 200);
  });
  router.openapi(confirmRoute(channel), async (c) => {
    await confirmVerification(c.var.deps, c.var.uncheckedAuth, channel, c.req.valid("json").otp);
    return ok(c, `OTP verified and ${LABEL[channel]} Confirmed`, 200);
  });
}

export const verificationRoutes = router;
