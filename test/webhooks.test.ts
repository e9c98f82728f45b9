// Webhooks (Standard Webhooks): an operator adds an endpoint and gets its secret once; what happens
// to users reaches it through the queue as signed POSTs, verified here with the `standardwebhooks`
// package against a real HTTP receiver (local/webhook-receiver.ts). Failing deliveries are retried
// with the same webhook-id; a rotated secret keeps signing for 24 h beside the new one; v1a signs
// with Ed25519; redirects are not followed; addresses inside a network are refused.
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { describe, expect, inject, it } from "vitest";
import { webhooks } from "../src/db/schema.ts";
import { webhookUrlProblem } from "../src/lib/webhook-urls.ts";
import { adminToken } from "./admin-helpers.ts";
import { api, bearer, eventually, expectFailure, signup, testDb, uniqueName } from "./helpers.ts";

const receiver = inject("webhookReceiverUrl");

interface Received {
  headers: Record<string, string>;
  body: string;
  status: number;
}
const receivedBy = async (key: string): Promise<Received[]> => (await fetch(`${receiver}/received/${key}`)).json();

/** Waits until the receiver holds `count` deliveries for `key` that `match`. */
async function deliveries(key: string, count: number, match: (item: Received) => boolean = () => true) {
  const found = await eventually(async () => {
    const list = (await receivedBy(key)).filter(match);
    return list.length >= count ? list : undefined;
  }, 300);
  if (!found) throw new Error(`${key}: ${JSON.stringify(await receivedBy(key))}`);
  return found;
}

async function newWebhook(token: string, json: Record<string, unknown>) {
  const created = await api("POST", "/admin/webhooks/", { headers: bearer(token), json });
  expect(created.status, created.text).toBe(201);
  return created.body.data as { id: string; secret?: string; public_key?: string };
}

const removeWebhook = (token: string, id: string) => api("DELETE", `/admin/webhooks/${id}/`, { headers: bearer(token) });
const sendTest = async (token: string, id: string) => {
  const sent = await api("POST", `/admin/webhooks/${id}/test/`, { headers: bearer(token) });
  expect(sent.status, sent.text).toBe(202);
  return sent.body.data.message_id as string;
};

describe("webhook delivery", () => {
  it("a signup reaches a subscribed endpoint as user.created, signed (v1) and verified by the standardwebhooks package", async () => {
    const token = await adminToken();
    const key = uniqueName("hook");
    const hook = await newWebhook(token, { url: `${receiver}/hook/${key}`, events: ["user.created"], description: "CRM sync" });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    try {
      const created = await signup();
      const userId = created.body.data.user_id;
      const [delivery] = await deliveries(key, 1, (item) => item.body.includes(userId));
      const payload = new Webhook(hook.secret as string).verify(
        delivery?.body as string,
        delivery?.headers as Record<string, string>,
      );
      expect(payload).toEqual({ type: "user.created", timestamp: expect.any(String), data: { user_id: userId } });
      expect(delivery?.headers["webhook-id"]).toMatch(/^msg_[A-Za-z0-9]{24}$/);
      expect(delivery?.headers["content-type"]).toBe("application/json");
      // Another secret does not verify it.
      expect(() =>
        new Webhook(`whsec_${btoa("x".repeat(32))}`).verify(
          delivery?.body as string,
          delivery?.headers as Record<string, string>,
        ),
      ).toThrow();
      // Listed without the secret; its delivery recorded.
      const listed = await api("GET", "/admin/webhooks/", { headers: bearer(token) });
      expect(listed.text).not.toContain(hook.secret as string);
      const recorded = await eventually(async () => {
        const page = await api("GET", `/admin/webhooks/${hook.id}/deliveries/`, { headers: bearer(token) });
        return page.body.data.deliveries.find((item: { state: string }) => item.state === "delivered");
      });
      expect(recorded).toMatchObject({ event_type: "user.created", attempts: 1, last_status: 204 });
    } finally {
      await removeWebhook(token, hook.id);
    }
  });

  it("retries a failing endpoint with the same webhook-id until it answers 2xx", async () => {
    const token = await adminToken();
    const key = uniqueName("flaky");
    const hook = await newWebhook(token, { url: `${receiver}/hook/${key}?fail=2`, events: ["user.deleted"] });
    try {
      const messageId = await sendTest(token, hook.id);
      const tries = await deliveries(key, 3);
      expect(tries.map((item) => item.status)).toEqual([500, 500, 204]);
      expect(new Set(tries.map((item) => item.headers["webhook-id"]))).toEqual(new Set([messageId]));
      for (const item of tries) new Webhook(hook.secret as string).verify(item.body, item.headers);
      const recorded = await eventually(async () => {
        const page = await api("GET", `/admin/webhooks/${hook.id}/deliveries/`, { headers: bearer(token) });
        const item = page.body.data.deliveries[0];
        return item?.state === "delivered" ? item : undefined;
      });
      expect(recorded).toMatchObject({ message_id: messageId, event_type: "webhook.test", attempts: 3, last_status: 204 });
    } finally {
      await removeWebhook(token, hook.id);
    }
  });

  it("a rotated secret signs beside the new one for 24 h (both verify); after that only the new one", async () => {
    const token = await adminToken();
    const key = uniqueName("rotate");
    const hook = await newWebhook(token, { url: `${receiver}/hook/${key}`, events: ["user.updated"] });
    try {
      const rotated = await api("POST", `/admin/webhooks/${hook.id}/rotate-secret/`, { headers: bearer(token) });
      expect(rotated.status, rotated.text).toBe(200);
      const fresh = rotated.body.data.secret as string;
      expect(fresh).not.toBe(hook.secret);
      expect(Date.parse(rotated.body.data.previous_secret_until) - Date.now()).toBeGreaterThan(23 * 3_600_000);
      // A second rotation inside the 24 h would drop the secret receivers may still be on.
      expectFailure(
        await api("POST", `/admin/webhooks/${hook.id}/rotate-secret/`, { headers: bearer(token) }),
        400,
        "VALIDATION_ERROR",
      );
      await sendTest(token, hook.id);
      const [both] = await deliveries(key, 1);
      expect(both?.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
      new Webhook(fresh).verify(both?.body as string, both?.headers as Record<string, string>);
      new Webhook(hook.secret as string).verify(both?.body as string, both?.headers as Record<string, string>);

      await testDb()
        .update(webhooks)
        .set({ previousUntil: new Date(Date.now() - 1000) })
        .where(eq(webhooks.id, hook.id));
      await sendTest(token, hook.id);
      const [, later] = await deliveries(key, 2);
      expect(later?.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
      new Webhook(fresh).verify(later?.body as string, later?.headers as Record<string, string>);
      expect(() =>
        new Webhook(hook.secret as string).verify(later?.body as string, later?.headers as Record<string, string>),
      ).toThrow();
    } finally {
      await removeWebhook(token, hook.id);
    }
  });

  it("v1a signs with Ed25519: the published public key verifies it, no shared secret", async () => {
    const token = await adminToken();
    const key = uniqueName("ed");
    const hook = await newWebhook(token, { url: `${receiver}/hook/${key}`, events: ["user.updated"], signature: "v1a" });
    try {
      expect(hook.secret).toBeUndefined();
      expect(hook.public_key).toMatch(/^whpk_/);
      const shown = await api("GET", `/admin/webhooks/${hook.id}/`, { headers: bearer(token) });
      expect(shown.body.data.public_keys).toEqual([hook.public_key]);
      await sendTest(token, hook.id);
      const [delivery] = await deliveries(key, 1);
      const headers = delivery?.headers as Record<string, string>;
      const [scheme, signature] = (headers["webhook-signature"] ?? "").split(",");
      expect(scheme).toBe("v1a");
      const raw = Uint8Array.from(atob((hook.public_key as string).slice(5)), (c) => c.charCodeAt(0));
      const publicKey = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
      const content = new TextEncoder().encode(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${delivery?.body}`);
      const bytes = Uint8Array.from(atob(signature as string), (c) => c.charCodeAt(0));
      expect(await crypto.subtle.verify("Ed25519", publicKey, bytes, content)).toBe(true);
      expect(await crypto.subtle.verify("Ed25519", publicKey, bytes, new TextEncoder().encode("tampered"))).toBe(false);
    } finally {
      await removeWebhook(token, hook.id);
    }
  });

  it("does not follow a redirect: a 3xx is a failed try, and nothing reaches where it points", async () => {
    const token = await adminToken();
    const key = uniqueName("moved");
    const hook = await newWebhook(token, { url: `${receiver}/hook/${key}?redirect=1`, events: ["user.updated"] });
    try {
      await sendTest(token, hook.id);
      await deliveries(key, 1);
      const recorded = await eventually(async () => {
        const page = await api("GET", `/admin/webhooks/${hook.id}/deliveries/`, { headers: bearer(token) });
        const item = page.body.data.deliveries[0];
        return item?.last_status === 302 ? item : undefined;
      });
      expect(recorded).toMatchObject({ last_error: "redirect (not followed)" });
      expect(await receivedBy("elsewhere")).toEqual([]);
    } finally {
      await removeWebhook(token, hook.id);
    }
  });

  it("an endpoint failing for 5 days is disabled, and the audit trail says so", async () => {
    const token = await adminToken();
    const key = uniqueName("dead");
    const hook = await newWebhook(token, { url: `${receiver}/hook/${key}?fail=100`, events: ["user.updated"] });
    try {
      await testDb()
        .update(webhooks)
        .set({ failingSince: new Date(Date.now() - 5 * 86_400_000 - 60_000) })
        .where(eq(webhooks.id, hook.id));
      await sendTest(token, hook.id);
      const disabled = await eventually(async () => {
        const shown = await api("GET", `/admin/webhooks/${hook.id}/`, { headers: bearer(token) });
        return shown.body.data.enabled === false ? shown.body.data : undefined;
      });
      expect(disabled).toMatchObject({ disabled_reason: "every delivery failed for 5 days" });
      const trail = await api("GET", "/admin/events/?type=webhook_disabled", { headers: bearer(token) });
      expect(trail.body.data.events.find((event: { target: string }) => event.target === `webhook:${hook.id}`)).toMatchObject({
        actor: "system",
      });
      // Enabling again starts over.
      const enabled = await api("PATCH", `/admin/webhooks/${hook.id}/`, { headers: bearer(token), json: { enabled: true } });
      expect(enabled.body.data).toMatchObject({ enabled: true, disabled_reason: null, failing_since: null });
    } finally {
      await removeWebhook(token, hook.id);
    }
  });
});

describe("webhook endpoints", () => {
  it("refuses addresses inside a network (SSRF), plain http, credentials and odd schemes with 400", async () => {
    const token = await adminToken();
    for (const url of [
      "http://10.0.0.1/hook",
      "https://10.0.0.1/hook",
      "https://[::1]/hook",
      "https://[fd00::1]/hook",
      "https://localhost/hook",
      "https://169.254.169.254/latest/meta-data",
      "https://0x7f000001/hook",
      "https://metadata.google.internal/",
      "https://metadata.google.internal./",
      "https://localhost./",
      "https://intranet./",
      "https://hooks.example.com:8080/",
      "ftp://hooks.example.com/",
      "http://hooks.example.com/",
      "https://user:pw@hooks.example.com/",
      "javascript:alert(1)",
      "not a url",
    ]) {
      const refused = await api("POST", "/admin/webhooks/", { headers: bearer(token), json: { url, events: ["user.created"] } });
      expectFailure(refused, 400, "VALIDATION_ERROR");
    }
    const fine = await newWebhook(token, { url: "https://hooks.example.com/in", events: ["user.created"] });
    await removeWebhook(token, fine.id);
  });

  it("in production and preview allows only https to a public host name; development also http://127.0.0.1", () => {
    for (const environment of ["production", "preview"]) {
      expect(webhookUrlProblem("https://hooks.example.com/in", environment)).toBeNull();
      for (const url of [
        "http://127.0.0.1:8080/",
        "https://127.0.0.1/",
        "https://2130706433/",
        "https://intranet/",
        "https://printer.local/",
      ]) {
        expect(webhookUrlProblem(url, environment), url).not.toBeNull();
      }
    }
    expect(webhookUrlProblem("http://127.0.0.1:8080/hook", "development")).toBeNull();
    expect(webhookUrlProblem("http://192.168.1.2/hook", "development")).not.toBeNull();
  });

  it("refuses a bad body with 400 and an unknown endpoint with 404", async () => {
    const token = await adminToken();
    for (const json of [
      {},
      { url: "https://hooks.example.com/", events: [] },
      { url: "https://hooks.example.com/", events: ["user.hacked"] },
      { url: "https://hooks.example.com/", events: ["user.created"], signature: "v2" },
      { url: "https://hooks.example.com/", events: ["user.created"], secret: "whsec_mine" },
    ]) {
      expectFailure(await api("POST", "/admin/webhooks/", { headers: bearer(token), json }), 400, "VALIDATION_ERROR");
    }
    for (const [method, path] of [
      ["GET", "/admin/webhooks/wh_none/"],
      ["DELETE", "/admin/webhooks/wh_none/"],
      ["POST", "/admin/webhooks/wh_none/rotate-secret/"],
      ["POST", "/admin/webhooks/wh_none/test/"],
      ["GET", "/admin/webhooks/wh_none/deliveries/"],
    ] as const) {
      expectFailure(await api(method, path, { headers: bearer(token) }), 404, "NOT_FOUND");
    }
  });
});
