// Where a device token travels (services/known-devices.ts): browsers keep it in an HttpOnly,
// Secure, SameSite=Strict cookie scoped to /auth, which page scripts cannot read and other sites
// cannot send; apps get it in the Device-Token response header and send it back in the
// Device-Token request header.
import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../env.ts";
import { DEVICE_TOKEN_TTL_MS } from "../services/known-devices.ts";

export const DEVICE_TOKEN_HEADER = "Device-Token";
const COOKIE = "device_token";

/** The token the client sent: the header (apps) wins over the cookie (browsers). */
export function deviceTokenOf<E extends AppEnv>(c: Context<E>): string | undefined {
  return c.req.header(DEVICE_TOKEN_HEADER) ?? getCookie(c, COOKIE) ?? undefined;
}

/** Hands a fresh token to the client both ways; the client keeps whichever it can. */
export function sendDeviceToken<E extends AppEnv>(c: Context<E>, token: string | undefined): void {
  if (!token) return;
  c.header(DEVICE_TOKEN_HEADER, token);
  setCookie(c, COOKIE, token, {
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: "/auth",
    maxAge: Math.floor(DEVICE_TOKEN_TTL_MS / 1000),
  });
}
