// Per-client-IP limits (Workers Rate Limiting binding, simulated by miniflare here): every rule
// trips at the limit wrangler.toml gives it, with a 429 envelope and Retry-After, and other
// client IPs are unaffected.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientKey } from "../src/middleware/client.ts";
import wranglerToml from "../wrangler.toml?raw";
import { api, expectFailure, randomIp, readResponse } from "./helpers.ts";

/** The top-level (development and test) limits, read from wrangler.toml so the tests follow it. */
function configuredLimit(binding: string): number {
  const topLevel = wranglerToml.split(/^\[env\./m)[0] ?? "";
  const match = new RegExp(
    `name = "${binding}"\\s*\\nnamespace_id = "\\d+"\\s*\\nsimple = \\{ limit = (\\d+), period = 60 \\}`,
  ).exec(topLevel);
  if (!match?.[1]) throw new Error(`no [[ratelimits]] entry for ${binding}`);
  return Number(match[1]);
}

/** The local simulation counts in wall-clock minutes: start a burst early enough in one. */
async function freshMinuteWindow(needMs: number): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute + needMs > 58_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
}

type Call = [method: string, path: string, json?: unknown];

// Each rule with the endpoints it covers, called with bodies that are cheap to refuse: the limit
// is checked before the body is even read, so a request counts whatever its fate.
const RULES: { binding: string; calls: Call[] }[] = [
  {
    binding: "LOGIN_RATE_LIMITER",
    calls: [
      ["POST", "/auth/user/login/", {}],
      ["POST", "/auth/password/change/", {}],
      ["DELETE", "/auth/user/delete/", {}],
    ],
  },
  { binding: "SIGNUP_RATE_LIMITER", calls: [["POST", "/auth/user/signup/", {}]] },
  {
    binding: "PASSWORD_RESET_RATE_LIMITER",
    calls: [
      ["POST", "/auth/password/forget/", {}],
      ["POST", "/auth/password/forget/confirm/", {}],
      ["POST", "/auth/password/reset/", {}],
    ],
  },
  {
    binding: "OTP_RATE_LIMITER",
    calls: [
      ["POST", "/auth/verify/email/"],
      ["POST", "/auth/verify/phone/"],
      ["POST", "/auth/confirm/email/", {}],
      ["POST", "/auth/confirm/phone/", {}],
      ["POST", "/auth/user/email/change/", {}],
      ["POST", "/auth/user/email/confirm/", {}],
    ],
  },
  {
    binding: "TOKEN_RATE_LIMITER",
    calls: [
      ["POST", "/auth/jwt/get-access/", {}],
      ["POST", "/auth/jwt/get-refresh/", {}],
    ],
  },
  {
    binding: "ADMIN_RATE_LIMITER",
    calls: [
      ["GET", "/admin/events/"],
      ["GET", "/admin/api-keys/"],
      ["DELETE", "/admin/api-keys/key_0000000000000000/"],
    ],
  },
];

const send = ([method, path, json]: Call, ip: string) => api(method, path, { json, headers: { "CF-Connecting-IP": ip } });

describe("per-IP rate limits", () => {
  for (const { binding, calls } of RULES) {
    it(`${binding}: ${calls.map((call) => call[1]).join(", ")} share one limit per client IP`, async () => {
      const limit = configuredLimit(binding);
      await freshMinuteWindow(limit * 80);
      const ip = randomIp();
      // Up to the limit, spread over the rule's endpoints: each is answered on its merits.
      for (let i = 0; i < limit; i++) expect((await send(calls[i % calls.length] as Call, ip)).status).not.toBe(429);
      for (const call of calls) {
        const refused = await send(call, ip);
        expectFailure(refused, 429, "RATE_LIMITED");
        expect(refused.body.message).toBe("too many requests");
        expect(refused.headers.get("retry-after")).toBe("60");
        expect(refused.headers.get("content-type")).toBe("application/json; charset=utf-8");
      }
      // Another client is not affected.
      expect((await send(calls[0] as Call, randomIp())).status).not.toBe(429);
    });
  }

  it("keys on CF-Connecting-IP, never on X-Forwarded-For (which any client can write)", async () => {
    const limit = configuredLimit("SIGNUP_RATE_LIMITER");
    await freshMinuteWindow(limit * 80);
    const ip = randomIp();
    for (let i = 0; i <= limit; i++) {
      await api("POST", "/auth/user/signup/", { json: {}, headers: { "CF-Connecting-IP": ip, "X-Forwarded-For": randomIp() } });
    }
    const refused = await api("POST", "/auth/user/signup/", {
      json: {},
      headers: { "CF-Connecting-IP": ip, "X-Forwarded-For": randomIp() },
    });
    expectFailure(refused, 429, "RATE_LIMITED");
  });

  it("limits requests without CF-Connecting-IP too: they all count as one client", async () => {
    const limit = configuredLimit("SIGNUP_RATE_LIMITER");
    await freshMinuteWindow(limit * 80);
    // Built by hand: the helpers give every request a client IP of its own.
    const headerless = () =>
      readResponse(
        exports.default.fetch(
          new Request("https://api.test/auth/user/signup/", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}",
          }),
        ),
      );
    for (let i = 0; i <= limit; i++) await headerless();
    expectFailure(await headerless(), 429, "RATE_LIMITED");
  });

  it("counts an IPv6 client by its /64: rotating addresses inside one subscriber's prefix does not help", async () => {
    const limit = configuredLimit("SIGNUP_RATE_LIMITER");
    await freshMinuteWindow(limit * 80);
    const prefix = randomIp().split("::")[0];
    const statuses = [];
    for (let i = 1; i <= limit + 1; i++) {
      statuses.push(
        (await api("POST", "/auth/user/signup/", { json: {}, headers: { "CF-Connecting-IP": `${prefix}::${i.toString(16)}` } }))
          .status,
      );
    }
    expect(statuses.slice(0, limit).every((status) => status === 400)).toBe(true);
    expect(statuses[limit]).toBe(429);
  });

  it("writes IPv6 keys as their /64 and leaves IPv4 as it is", () => {
    expect(clientKey("203.0.113.7")).toBe("203.0.113.7");
    expect(clientKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientKey("2001:0DB8:00a0:0001:ffff::1")).toBe("2001:db8:a0:1::/64");
    expect(clientKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
  });

  it("repeats every rule in each environment of wrangler.toml, with namespaces of its own", () => {
    const blocks = wranglerToml.split(/^\[env\./m);
    const rules = (text: string) =>
      [...text.matchAll(/name = "(\w+_RATE_LIMITER)"\s*\nnamespace_id = "(\d+)"/g)].map((m) => [m[1], m[2]]);
    const top = rules(blocks[0] ?? "");
    const preview = rules(wranglerToml.slice(wranglerToml.indexOf("[env.preview]"), wranglerToml.indexOf("[env.production]")));
    const production = rules(wranglerToml.slice(wranglerToml.indexOf("[env.production]")));
    const names = RULES.map((rule) => rule.binding).sort();
    for (const environment of [top, preview, production]) expect(environment.map(([name]) => name).sort()).toEqual(names);
    const namespaces = [...top, ...preview, ...production].map(([, id]) => id);
    expect(new Set(namespaces).size).toBe(namespaces.length);
  });

  it("leaves routes without a rule alone (health, countries)", async () => {
    const ip = randomIp();
    for (let i = 0; i < 70; i++)
      expect((await api("GET", "/other/metadata/countrydetails/", { headers: { "CF-Connecting-IP": ip } })).status).toBe(200);
  });
});
