// The audit trail: every admin action is a security event naming its actor (an admin, or an API
// key) and its target; GET /admin/events/ lists them newest first with filters and an opaque
// cursor; the affected user sees the action in their own list as "admin", without the operator's
// address or browser.
import { describe, expect, it } from "vitest";
import { newAdmin, newApiKey } from "./admin-helpers.ts";
import { api, bearer, eventually, expectFailure, userWithSession } from "./helpers.ts";

interface AuditEvent {
  id: string;
  event: string;
  user_id: string | null;
  actor: string | null;
  target: string | null;
  ip: string | null;
}

const events = async (auth: string, query: string) => {
  const response = await api("GET", `/admin/events/?${query}`, { headers: bearer(auth) });
  expect(response.status, response.text).toBe(200);
  return response.body.data as { events: AuditEvent[]; next: string | null };
};

describe("GET /admin/events/", () => {
  it("an API key's disable names the key as actor; the user sees it as done by admin, without the operator's address", async () => {
    const { token } = await newAdmin();
    const { id, key } = await newApiKey(["users:write", "events:read"], token);
    const { user, session } = await userWithSession();
    const disabled = await api("POST", `/admin/users/${user.id}/disable/`, {
      headers: { ...bearer(key), "CF-Connecting-IP": "198.51.100.23" },
      json: { reason: "chargeback" },
    });
    expect(disabled.status, disabled.text).toBe(200);

    const found = await eventually(async () => (await events(key, `user=${user.id}&type=account_disabled`)).events[0]);
    expect(found).toMatchObject({ event: "account_disabled", user_id: user.id, actor: `api_key:${id}`, ip: "198.51.100.23" });
    const byActor = await events(token, `actor=api_key:${id}`);
    expect(byActor.events.map((event) => event.event)).toContain("account_disabled");

    // The user's own list (read with the admin's help: the user's sessions ended with the disable).
    expect(session.access).toBeTruthy();
    await api("POST", `/admin/users/${user.id}/enable/`, { headers: bearer(key) });
    const login = await api("POST", "/auth/user/login/", {
      headers: { authorization: `Basic ${btoa(`${user.username}:${user.password}`)}` },
    });
    const own = await api("GET", "/auth/security-events/", { headers: bearer(login.body.data.access) });
    const seen = own.body.data.events.find((event: { event: string }) => event.event === "account_disabled");
    expect(seen).toMatchObject({ actor: "admin", ip: null, country: null, user_agent: null });
    expect(own.text).not.toContain(id);
    expect(own.text).not.toContain("198.51.100.23");
  });

  it("an action on a key names the admin as actor and the key as target (no user)", async () => {
    const { user, token } = await newAdmin();
    const { id } = await newApiKey(["users:read"], token);
    const created = await eventually(async () =>
      (await events(token, `actor=user:${user.id}&type=api_key_created`)).events.find(
        (event) => event.target === `api_key:${id}`,
      ),
    );
    expect(created).toMatchObject({ user_id: null, actor: `user:${user.id}` });
  });

  it("pages with an opaque cursor: every event once, newest first", async () => {
    const { token } = await newAdmin();
    const { id, key } = await newApiKey(["users:write", "events:read"], token);
    const { user } = await userWithSession();
    for (let i = 0; i < 5; i++) await api("POST", `/admin/users/${user.id}/logout-all/`, { headers: bearer(key) });
    await eventually(async () => ((await events(key, `actor=api_key:${id}`)).events.length === 5 ? true : undefined));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: AuditEvent[]; next: string | null } = await events(
        key,
        `actor=api_key:${id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.events.length).toBeLessThanOrEqual(2);
      seen.push(...page.events.map((event) => event.id));
      cursor = page.next;
      if (cursor) expect(cursor).not.toMatch(/^\d+$/);
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
  });

  it("refuses a bad filter or cursor with 400", async () => {
    const { token } = await newAdmin();
    for (const query of ["type=nonsense", "actor=root", "cursor=%%%", "cursor=bm90LWEtY3Vyc29y", "limit=0", "limit=101"]) {
      expectFailure(await api("GET", `/admin/events/?${query}`, { headers: bearer(token) }), 400, "VALIDATION_ERROR");
    }
  });
});
