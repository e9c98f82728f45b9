// New-device sign-in notices: a sign-in from a device (browser family and OS) and network (ASN,
// country) this user has not signed in from in 90 days mails a notice, records a new_device event
// and flags session.created for webhooks. Once per device and network: not on the next sign-in
// from it, never for a known one, and not for an account's first sign-in ever.
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { createApp } from "../src/app.ts";
import { deviceDigest, deviceFamily } from "../src/lib/device-fingerprint.ts";
import { adminToken } from "./admin-helpers.ts";
import { api, bearer, eventually, outbox, randomIp, readResponse, signup, signupBody, uniqueName } from "./helpers.ts";

const CHROME_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const CHROME_WINDOWS_UPDATED = CHROME_WINDOWS.replace("Chrome/131", "Chrome/132");
const FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const noticesOn = { ...env, NEW_DEVICE_NOTICES: "on" };

/** A password sign-in as the worker sees it from Cloudflare's edge: a user agent, an ASN and a country. */
async function signIn(user: { username: string; password: string }, userAgent: string, cf = { asn: 13335, country: "DE" }) {
  const request = new Request("https://api.test/auth/user/login/", {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${user.username}:${user.password}`)}`,
      "user-agent": userAgent,
      "cf-connecting-ip": randomIp(),
    },
    cf,
  } as RequestInit);
  const response = await readResponse(createApp().fetch(request, noticesOn));
  expect(response.status, response.text).toBe(200);
  return response.body.data as { access: string };
}

const notices = async (email: string) => (await outbox(email)).filter((message) => message.subject.startsWith("New sign-in"));

async function newUser() {
  const body = signupBody();
  expect((await signup(body)).status).toBe(201);
  return { username: body.username, password: body.password, email: body.email };
}

describe("new-device notices", () => {
  it("mails once for a new device: not for the first sign-in ever, not again from it, never for a known one", async () => {
    const user = await newUser();
    await signIn(user, CHROME_WINDOWS);
    await signIn(user, CHROME_WINDOWS_UPDATED); // a browser update is the same device
    const { access } = await signIn(user, FIREFOX_LINUX);
    const [notice] =
      (await eventually(async () => {
        const found = await notices(user.email);
        return found.length ? found : undefined;
      })) ?? [];
    expect(notice?.text).toContain("Firefox on Linux");
    expect(notice?.text).toContain("country DE, network AS13335");
    expect(notice?.text).toMatch(/forgot password|\/auth\/password\/forget\//);
    await signIn(user, FIREFOX_LINUX);
    await signIn(user, CHROME_WINDOWS);
    // Give any wrongly sent mail time to arrive, then count.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await notices(user.email)).toHaveLength(1);

    const events = await api("GET", "/auth/security-events/?limit=100", { headers: bearer(access) });
    const recorded = await eventually(async () => {
      const list = (await api("GET", "/auth/security-events/?limit=100", { headers: bearer(access) })).body.data.events;
      return list.some((event: { event: string }) => event.event === "new_device") ? list : undefined;
    });
    expect(events.status).toBe(200);
    expect(recorded?.filter((event: { event: string }) => event.event === "new_device")).toHaveLength(1);
  });

  it("a known browser on another network is new; the same browser and network again is not", async () => {
    const user = await newUser();
    await signIn(user, CHROME_WINDOWS, { asn: 13335, country: "DE" });
    await signIn(user, CHROME_WINDOWS, { asn: 3320, country: "DE" });
    await eventually(async () => ((await notices(user.email)).length === 1 ? true : undefined));
    await signIn(user, CHROME_WINDOWS, { asn: 3320, country: "DE" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const list = await notices(user.email);
    expect(list).toHaveLength(1);
    expect(list[0]?.text).toContain("AS3320");
  });

  it("flags the session.created webhook of a new-device sign-in", async () => {
    const token = await adminToken();
    const key = uniqueName("devices");
    const receiver = inject("webhookReceiverUrl");
    const hook = await api("POST", "/admin/webhooks/", {
      headers: bearer(token),
      json: { url: `${receiver}/hook/${key}`, events: ["session.created"] },
    });
    try {
      const user = await newUser();
      await signIn(user, CHROME_WINDOWS);
      await signIn(user, FIREFOX_LINUX);
      const flagged = await eventually(async () => {
        const received = (await (await fetch(`${receiver}/received/${key}`)).json()) as { body: string }[];
        const mine = received
          .map((item) => JSON.parse(item.body))
          .filter((message) => message.data.user_agent.includes("Firefox"));
        return mine.length ? mine : undefined;
      }, 300);
      expect(flagged?.[0]).toMatchObject({ type: "session.created", data: { new_device: true, country: "DE" } });
    } finally {
      await api("DELETE", `/admin/webhooks/${hook.body.data.id}/`, { headers: bearer(token) });
    }
  });

  it("sends nothing when NEW_DEVICE_NOTICES is off", async () => {
    const user = await newUser();
    for (const userAgent of [CHROME_WINDOWS, FIREFOX_LINUX]) {
      const response = await api("POST", "/auth/user/login/", {
        headers: { authorization: `Basic ${btoa(`${user.username}:${user.password}`)}`, "user-agent": userAgent },
      });
      expect(response.status).toBe(200);
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await notices(user.email)).toEqual([]);
  });

  it("names a device by browser family and system, without versions; the digest holds no address", () => {
    expect(deviceFamily(CHROME_WINDOWS)).toBe("Chrome on Windows");
    expect(deviceFamily(FIREFOX_LINUX)).toBe("Firefox on Linux");
    expect(deviceFamily("okhttp/4.12.0")).toBe("okhttp");
    expect(deviceFamily("")).toBe("an unknown device");
    expect(deviceDigest("Chrome on Windows", "13335", "DE")).toMatch(/^[0-9a-f]{16}$/);
    expect(deviceDigest("Chrome on Windows", "13335", "DE")).not.toBe(deviceDigest("Chrome on Windows", "3320", "DE"));
  });
});
