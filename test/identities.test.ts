// Linked identities (accounts at other providers): the list, unlinking, and the rule every way in
// shares with passkeys: an account never loses its last way to sign in. Rows are written here as
// a sign-in-with flow would write them.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { SoftAuthenticator } from "../local/software-authenticator.ts";
import { createApp } from "../src/app.ts";
import { identities, users } from "../src/db/schema.ts";
import {
  api,
  bearer,
  buildRequest,
  eventually,
  expectFailure,
  messageTo,
  readResponse,
  testDb,
  userWithSession,
} from "./helpers.ts";

async function link(userId: string, provider = "dev") {
  const id = crypto.randomUUID();
  await testDb().insert(identities).values({
    id,
    userId,
    provider,
    subject: crypto.randomUUID(),
    email: "someone@example.com",
    emailVerified: true,
    createdAt: new Date(),
  });
  return id;
}
/** Registers a passkey for the signed-in caller (a fresh session needs no password). */
async function addPasskey(access: string) {
  const authenticator = await SoftAuthenticator.create();
  const options = (await api("POST", "/auth/passkeys/register/options/", { headers: bearer(access), json: {} })).body.data;
  return api("POST", "/auth/passkeys/register/verify/", {
    headers: bearer(access),
    json: { response: await authenticator.register(options) },
  });
}

const list = (access: string) => api("GET", "/auth/identities/", { headers: bearer(access) });
const unlink = (access: string, id: string, json?: object) =>
  api("DELETE", `/auth/identities/${id}/`, { headers: bearer(access), json });
const rows = (userId: string) => testDb().select().from(identities).where(eq(identities.userId, userId));
const withoutPassword = (userId: string) => testDb().update(users).set({ passwordHash: null }).where(eq(users.id, userId));

describe("GET /auth/identities/ and DELETE /auth/identities/{id}/", () => {
  it("lists the caller's identities without their provider subject, and unlinks one: a notice mail and an event follow", async () => {
    const { user, session } = await userWithSession();
    expect((await list(session.access)).body.data).toEqual({ identities: [] });
    const id = await link(user.id);
    const [shown] = (await list(session.access)).body.data.identities;
    expect(Object.keys(shown).sort()).toEqual(["created_at", "email", "email_verified", "id", "last_used_at", "provider"]);
    expect(shown).toMatchObject({ id, provider: "dev", email: "someone@example.com", email_verified: true });
    expect((await unlink(session.access, id)).status).toBe(200);
    expect(await rows(user.id)).toEqual([]);
    await messageTo(user.email, "A sign-in was unlinked");
    const recorded = await eventually(async () =>
      (await api("GET", "/auth/security-events/", { headers: bearer(session.access) })).body.data.events.some(
        (event: { event: string }) => event.event === "identity_unlinked",
      ),
    );
    expect(recorded).toBe(true);
  });

  it("answers 404 for another user's identity and leaves it linked", async () => {
    const owner = await userWithSession();
    const other = await userWithSession();
    const id = await link(owner.user.id);
    expectFailure(await unlink(other.session.access, id), 404, "NOT_FOUND");
    expect(await rows(owner.user.id)).toHaveLength(1);
  });

  it("never unlinks the last way in; with a passkey as well, the identity can go, and then the passkey is the last", async () => {
    const { user, session } = await userWithSession();
    const id = await link(user.id);
    await withoutPassword(user.id);
    const details = expectFailure(await unlink(session.access, id), 400, "VALIDATION_ERROR");
    expect(details.non_field_errors?.[0]).toContain("last way to sign in");
    const added = await addPasskey(session.access);
    expect(added.status).toBe(201);
    expect((await unlink(session.access, id)).status).toBe(200);
    expectFailure(
      await api("DELETE", `/auth/passkeys/${added.body.data.id}/`, { headers: bearer(session.access) }),
      400,
      "VALIDATION_ERROR",
    );
  });

  it("lets an account without a password remove its passkey while an identity still signs it in", async () => {
    const { user, session } = await userWithSession();
    const added = await addPasskey(session.access);
    await link(user.id);
    await withoutPassword(user.id);
    expect((await api("DELETE", `/auth/passkeys/${added.body.data.id}/`, { headers: bearer(session.access) })).status).toBe(200);
  });

  it("needs a recent sign-in or the password to unlink", async () => {
    const { user, session } = await userWithSession();
    const id = await link(user.id);
    const later = createApp({ clock: { now: () => new Date(Date.now() + 11 * 60_000) } });
    const remove = (json?: object) =>
      readResponse(
        later.fetch(buildRequest("DELETE", `/auth/identities/${id}/`, { headers: bearer(session.access), json }), env),
      );
    expectFailure(await remove(), 401, "REAUTHENTICATION_REQUIRED");
    expectFailure(await remove({ password: "Not-the-passw0rd" }), 400, "VALIDATION_ERROR");
    expect((await remove({ password: user.password })).status).toBe(200);
  });

  it("goes with the account when it is deleted", async () => {
    const { user, session } = await userWithSession();
    await link(user.id);
    const res = await api("DELETE", "/auth/user/delete/", { headers: bearer(session.access), json: { password: user.password } });
    expect(res.status, res.text).toBe(200);
    expect(await rows(user.id)).toEqual([]);
  });
});
