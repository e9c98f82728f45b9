// Helpers shared by the tests: real HTTP requests through the worker, unique identities, and
// direct reads of the real database behind it.

import { env, exports } from "cloudflare:workers";
import { Redis } from "@upstash/redis/cloudflare";
import { eq } from "drizzle-orm";
import { users } from "../src/db/schema.ts";
import { createDatabase } from "../src/stores/database.ts";

export interface ApiResponse {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON envelopes
  body: any;
  text: string;
}

export interface RequestOptions {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Scheme and host the request is addressed to (the dev outbox answers only on loopback). */
  origin?: string;
}

/**
 * A client IP of its own for every request unless the test names one: per-IP rate limits then
 * only trip in the tests that mean to trip them.
 */
export function randomIp(): string {
  const group = () => Math.floor(Math.random() * 0x10000).toString(16);
  return `2001:db8:${group()}:${group()}::${group()}`;
}

export function buildRequest(method: string, path: string, options: RequestOptions = {}): Request {
  const headers = new Headers(options.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", randomIp());
  let body = options.body;
  if (options.json !== undefined) {
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  }
  return new Request(`${options.origin ?? "https://api.test"}${path}`, { method, headers, body });
}

export async function readResponse(pending: Response | Promise<Response>): Promise<ApiResponse> {
  const response = await pending;
  // Decoded by hand: text() on an image download makes workerd print a warning.
  const text = new TextDecoder().decode(await response.arrayBuffer());
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Sends a request through the worker's own fetch handler (the deployed entry point). */
export async function api(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
  return readResponse(await exports.default.fetch(buildRequest(method, path, options)));
}

let counter = 0;
/** A username no other test (or earlier run) uses. */
export function uniqueName(prefix = "user"): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 7)}`;
}

export function signupBody(overrides: Record<string, unknown> = {}) {
  const username = uniqueName();
  return {
    username,
    email: `${username}@example.com`,
    password: "Tr1cky-Passphrase",
    password2: "Tr1cky-Passphrase",
    ...overrides,
  };
}

export function signup(overrides: Record<string, unknown> = {}) {
  return api("POST", "/auth/user/signup/", { json: signupBody(overrides) });
}

export const testDb = () => createDatabase(env.DATABASE_URL as string);

export async function userRowById(id: string) {
  const [row] = await testDb().select().from(users).where(eq(users.id, id));
  return row;
}

/** Expects the envelope of a failure and returns its field details. */
export function expectFailure(response: ApiResponse, status: number, code: string) {
  if (response.status !== status || response.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${response.status} ${response.text}`);
  }
  if (response.body.success !== false || response.body.data !== null) throw new Error(`not an error envelope: ${response.text}`);
  return (response.body.error.details ?? {}) as Record<string, string[]>;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const basic = (username: string, password: string) => ({
  authorization: `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)))}`,
});

export interface Session {
  access: string;
  refresh: string;
}

/** Signs up a fresh user and logs in once: the user's signup body and the session's tokens. */
export async function userWithSession(overrides: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const body = signupBody(overrides);
  const created = await api("POST", "/auth/user/signup/", { json: body });
  if (created.status !== 201) throw new Error(`signup failed: ${created.text}`);
  const login = await api("POST", "/auth/user/login/", { headers: { ...headers, ...basic(body.username, body.password) } });
  if (login.status !== 200) throw new Error(`login failed: ${login.text}`);
  return { user: { ...body, id: created.body.data.user_id as string }, session: login.body.data as Session };
}

export function decodeJwt(token: string) {
  const [header, payload] = token
    .split(".")
    .slice(0, 2)
    .map((part) => JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))));
  return { header, payload };
}

/** The user's row without last_login_at, which a login writes after its response. */
export async function stableRow(id: string) {
  const row = await userRowById(id);
  if (!row) return row;
  const { lastLoginAt: _written_after_login, ...rest } = row;
  return rest;
}

/** The address a developer's own machine uses: the only one the dev outbox answers on. */
export const LOOPBACK = "http://127.0.0.1:8787";

/** Messages the log provider "sent" to `to`, newest first (the dev outbox). */
export async function outbox(to: string): Promise<{ to: string; subject: string; text: string; created_at: string }[]> {
  const res = await api("GET", `/dev/outbox?to=${encodeURIComponent(to)}`, { origin: LOOPBACK });
  if (res.status !== 200) throw new Error(`outbox: ${res.text}`);
  return res.body.data.messages;
}

/** Waits for a message to `to` whose subject contains `subject` (sending happens after the response). */
export async function messageTo(to: string, subject: string) {
  const found = await eventually(async () => (await outbox(to)).find((message) => message.subject.includes(subject)));
  if (!found) throw new Error(`no "${subject}" message arrived for ${to}`);
  return found;
}

/** Waits for the next message to `to` (sending happens after the response) and returns its code. */
export async function latestCode(to: string, after = 0): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const messages = await outbox(to);
    if (messages.length > after) {
      const code = /\b(\d{6})\b/.exec(messages[0]?.text ?? "")?.[1];
      if (code) return code;
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  throw new Error(`no code arrived for ${to}`);
}

/** Verifies the signed-in user's email address with the code mailed to it (the API's own two steps). */
export async function verifyEmailAddress(email: string, access: string): Promise<void> {
  const sent = await api("POST", "/auth/verify/email/", { headers: bearer(access) });
  if (sent.status !== 200) throw new Error(`verify email: ${sent.text}`);
  const otp = await latestCode(email);
  const confirmed = await api("POST", "/auth/confirm/email/", { headers: bearer(access), json: { otp } });
  if (confirmed.status !== 200) throw new Error(`confirm email: ${confirmed.text}`);
}

/** Both tokens of a session are refused: the access token at check, the refresh token at get-access. */
export async function expectSessionDead(session: Session): Promise<void> {
  expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) }), 401, "INVALID_TOKEN");
  expectFailure(await api("POST", "/auth/jwt/get-access/", { json: { refresh: session.refresh } }), 400, "INVALID_REFRESH_TOKEN");
}

export async function loginStatus(username: string, password: string): Promise<number> {
  return (await api("POST", "/auth/user/login/", { headers: basic(username, password) })).status;
}

/** Polls `probe` until it returns something truthy (work that runs after a response); undefined if it never does. */
export async function eventually<T>(probe: () => Promise<T>, tries = 100): Promise<T | undefined> {
  for (let i = 0; i < tries; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  return undefined;
}

/** A direct client of the test stack's Redis, to look at what the service stored. */
export function testRedis() {
  return new Redis({
    url: String(env.UPSTASH_REDIS_REST_URL),
    token: String(env.UPSTASH_REDIS_REST_TOKEN),
    retry: false,
    automaticDeserialization: false,
    enableAutoPipelining: false,
  });
}
