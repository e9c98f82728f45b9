// A browser for sign-in-with tests: it follows no redirect by itself, keeps cookies per host, and
// reaches this worker (https://api.test) through its fetch handler and everything else (the dev
// OpenID provider, the GitHub stand-in) over HTTP. And the steps a person takes in it.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { type ApiResponse, api, randomIp, readResponse } from "./helpers.ts";

export const APP = "https://app.example.com/auth/done";
/** The app's PKCE: the verifier it keeps, and the challenge it sends to /start/ (S256). */
export const APP_VERIFIER = "the-app-keeps-this-verifier-0123456789abcdefghij";
export async function challengeOf(verifier: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...digest))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
const WORKER = "https://api.test";

export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();
  readonly ip = randomIp();
  /** How requests to this worker are made: its deployed fetch handler unless a test gives another app. */
  private readonly worker: (request: Request) => Response | Promise<Response>;

  constructor(worker?: (request: Request) => Response | Promise<Response>) {
    this.worker = worker ?? ((request) => exports.default.fetch(request));
  }

  cookies(host: string): Map<string, string> {
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    this.jar.set(host, cookies);
    return cookies;
  }

  async go(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookies = this.cookies(target.host);
    if (cookies.size > 0) headers.set("cookie", [...cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    const request = new Request(target, { ...init, headers, redirect: "manual" });
    let res: Response;
    if (target.origin === WORKER) {
      request.headers.set("cf-connecting-ip", this.ip);
      res = await this.worker(request);
    } else {
      res = await fetch(request).catch((error: unknown) => {
        throw new Error(`${request.method} ${target} failed: ${String(error)}`);
      });
    }
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ""] = cookie.split(";");
      const at = pair.indexOf("=");
      const [name, value] = [pair.slice(0, at), pair.slice(at + 1)];
      if (value === "" || /max-age=0/i.test(cookie)) cookies.delete(name);
      else cookies.set(name, value);
    }
    return res;
  }

  /** Follows redirects until one leaves for `stop` (returned, not followed). */
  async follow(start: Response, stop: (url: URL) => boolean, from: string): Promise<URL> {
    let res = start;
    let base = from;
    for (let hops = 0; hops < 10; hops++) {
      const location = res.headers.get("location");
      if (!location) throw new Error(`no redirect from ${base}: ${res.status} ${await res.text()}`);
      const next = new URL(location, base);
      if (stop(next)) return next;
      base = next.toString();
      res = await this.go(next);
    }
    throw new Error("too many redirects");
  }
}

/** Signs in at the dev provider's form: the page it shows, then the submitted form; returns where it sends the browser. */
export async function signInAtDevProvider(browser: Browser, providerUrl: URL, email: string, verified: boolean) {
  const toForm = await browser.go(providerUrl);
  const formUrl = await browser.follow(toForm, (url) => url.pathname.startsWith("/interaction/"), providerUrl.toString());
  const page = await (await browser.go(formUrl)).text();
  expect(page).toContain('name="email"');
  const form = new URLSearchParams({ email, ...(verified ? { email_verified: "on" } : {}) });
  const submitted = await browser.go(formUrl, {
    method: "POST",
    body: form,
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  return browser.follow(submitted, (url) => url.origin === WORKER, formUrl.toString());
}

/** GET /auth/oauth/{provider}/start/ in the browser: the provider URL it is sent to. */
export async function startFlow(browser: Browser, provider: string, query: Record<string, string> = {}) {
  const params = new URLSearchParams({ redirect_uri: APP, code_challenge: await challengeOf(APP_VERIFIER), ...query });
  const res = await browser.go(`${WORKER}/auth/oauth/${provider}/start/?${params}`);
  expect(res.status, await res.clone().text()).toBe(302);
  return new URL(String(res.headers.get("location")));
}

/** The provider's redirect back, through the worker's callback: where the app is sent. */
export async function callback(browser: Browser, back: URL): Promise<URL> {
  const res = await browser.go(back);
  expect(res.status, await res.clone().text()).toBe(302);
  return new URL(String(res.headers.get("location")));
}

/** A whole sign-in through the dev provider: the URL the app receives. */
export async function devSignIn(email: string, verified = true, browser = new Browser(), query: Record<string, string> = {}) {
  const providerUrl = await startFlow(browser, "dev", query);
  return callback(browser, await signInAtDevProvider(browser, providerUrl, email, verified));
}

/** The app's exchange, with its verifier unless `extra` says otherwise. */
export const exchange = (
  code: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<ApiResponse> =>
  api("POST", "/auth/oauth/exchange/", { json: { code, code_verifier: APP_VERIFIER, ...extra }, headers });

export { readResponse };
