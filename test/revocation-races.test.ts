// Revocation wins every race. A login reads the user's row, spends ~100 ms on PBKDF2, then opens
// its session; a password change, reset, 2FA confirm or logout-all may land in between. Whatever
// the interleaving, no token a login minted before such a change (or while racing it) works after
// the change has answered, and a second-factor challenge made before it is dead. Each race runs
// many times; the assertion is the invariant, never an interleaving. The same holds when Redis
// loses what it knew about the user: access tokens then fail closed.
import { describe, expect, it } from "vitest";
import { updateUser } from "../src/stores/user-store.ts";
import {
  api,
  basic,
  bearer,
  decodeJwt,
  expectFailure,
  latestCode,
  type Session,
  testDb,
  testRedis,
  userRowById,
  userWithSession,
} from "./helpers.ts";
import { Authenticator, expectSuccess, mfaToken, setupTwoFactor, userWithTwoFactor, verify } from "./two-factor-helpers.ts";

const TRIALS = 12;
const LOGINS_PER_TRIAL = 4;
const NEW = "Brand-new-passphrase-7";

type User = Awaited<ReturnType<typeof userWithSession>>["user"];

const login = (user: { username: string }, password: string) =>
  api("POST", "/auth/user/login/", { headers: basic(user.username, password) });

/** Every session a racing login got is dead: its access token at check, its refresh token at get-access. */
async function expectAllDead(sessions: Session[]) {
  for (const session of sessions) {
    expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) }), 401, "INVALID_TOKEN");
    expectFailure(
      await api("POST", "/auth/jwt/get-access/", { json: { refresh: session.refresh } }),
      400,
      "INVALID_REFRESH_TOKEN",
    );
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A session is alive or dead as a whole: never a dead refresh token with a working access token. */
async function expectWhole(sessions: Session[]) {
  for (const session of sessions) {
    const access = await api("POST", "/auth/jwt/check/", { headers: bearer(session.access) });
    const refresh = await api("POST", "/auth/jwt/get-access/", { json: { refresh: session.refresh } });
    expect([200, 401]).toContain(access.status);
    expect(access.status === 200, `access ${access.status}, refresh ${refresh.status}`).toBe(refresh.status === 200);
  }
}

/**
 * Starts `LOGINS_PER_TRIAL` logins with the old password, 15 ms apart, and `change` after
 * `trial` x 20 ms (a login spends ~100 ms hashing, so across the trials the change lands before,
 * amid and after the logins' steps), and waits for all: returns the sessions the logins got.
 */
async function raceLogins(user: User, trial: number, change: () => Promise<unknown>): Promise<Session[]> {
  const logins = Array.from({ length: LOGINS_PER_TRIAL }, async (_, i) => {
    await sleep(i * 15);
    return login(user, user.password);
  });
  await Promise.all([sleep(trial * 20).then(change), ...logins]);
  const results = await Promise.all(logins);
  for (const res of results) expect([200, 401], res.text).toContain(res.status);
  return results.filter((res) => res.status === 200).map((res) => res.body.data as Session);
}

describe("a login racing a revocation", () => {
  it("password change: no session a racing login got survives the change", async () => {
    let won = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const { user, session } = await userWithSession();
      let fresh: Session | undefined;
      const sessions = await raceLogins(user, trial, async () => {
        const res = await api("POST", "/auth/password/change/", {
          headers: bearer(session.access),
          json: { old_password: user.password, password1: NEW, password2: NEW },
        });
        expect(res.status, res.text).toBe(200);
        fresh = res.body.data as Session;
      });
      won += sessions.length;
      await expectAllDead(sessions);
      // The changer's own new session works.
      expect((await api("POST", "/auth/jwt/check/", { headers: bearer(fresh?.access ?? "") })).status).toBe(200);
    }
    // Logins did get tokens during the races: the check above was not vacuous.
    expect(won).toBeGreaterThan(0);
  });

  it("logout-all: no token minted before it survives it (a login after it is a new session, as it should be)", async () => {
    let before = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const { user, session } = await userWithSession();
      const sessions = await raceLogins(user, trial, async () => {
        expect((await api("POST", "/auth/user/logout-all/", { headers: bearer(session.access) })).status).toBe(200);
      });
      // The password still works after a logout-all: what matters is when each token was minted.
      const revokedAt = (await userRowById(user.id))?.tokensValidAfter?.getTime() ?? 0;
      expect(revokedAt).toBeGreaterThan(0);
      const mintedBefore = sessions.filter((s) => Number(decodeJwt(s.access).payload.iat_ms) < revokedAt);
      before += mintedBefore.length;
      await expectAllDead(mintedBefore);
      // A session the logout-all ended (made before its revocation, whatever its clock said) is
      // dead whole; one made after it is alive whole.
      await expectWhole(sessions);
    }
    expect(before).toBeGreaterThan(0);
  });

  it("password reset: no session a racing login got survives the reset", async () => {
    let won = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const { user } = await userWithSession();
      expect((await api("POST", "/auth/password/forget/", { json: { email: user.email } })).status).toBe(200);
      const otp = await latestCode(user.email);
      const sessions = await raceLogins(user, trial, async () => {
        const res = await api("POST", "/auth/password/reset/", {
          json: { email: user.email, otp, password1: NEW, password2: NEW },
        });
        expect(res.status, res.text).toBe(200);
      });
      won += sessions.length;
      await expectAllDead(sessions);
    }
    expect(won).toBeGreaterThan(0);
  });

  it("2FA confirm: no session a racing login got without a second factor survives it", async () => {
    let won = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const { user, session } = await userWithSession();
      const setup = expectSuccess(await setupTwoFactor(session.access, { password: user.password }), "2fa setup successful");
      const app = new Authenticator(setup.secret);
      const code = await app.nextCode();
      const sessions = await raceLogins(user, trial, async () => {
        const res = await api("POST", "/auth/secure/2fa/confirm/", { headers: bearer(session.access), json: { code } });
        expect(res.status, res.text).toBe(200);
      });
      // A login that came after the confirm got a challenge instead: only the ones with tokens count.
      const withTokens = sessions.filter((s) => typeof s.access === "string");
      won += withTokens.length;
      await expectAllDead(withTokens);
    }
    expect(won).toBeGreaterThan(0);
  });
});

describe("a second-factor challenge made before a revocation", () => {
  it("dies with a password change: the mfa_token answers 401 MFA_TOKEN_INVALID and the recovery code is not spent", async () => {
    const { user, recoveryCodes } = await userWithTwoFactor();
    const token = await mfaToken(user);
    const session = expectSuccess(
      await verify({ mfa_token: await mfaToken(user), recovery_code: recoveryCodes[0] }),
      "2fa verify successful",
    );
    const changed = await api("POST", "/auth/password/change/", {
      headers: bearer(session.access),
      json: { old_password: user.password, password1: NEW, password2: NEW },
    });
    expect(changed.status, changed.text).toBe(200);
    expectFailure(await verify({ mfa_token: token, recovery_code: recoveryCodes[1] }), 401, "MFA_TOKEN_INVALID");
    // Not spent: it still completes a login with the new password.
    const fresh = await mfaToken({ username: user.username, password: NEW });
    expectSuccess(await verify({ mfa_token: fresh, recovery_code: recoveryCodes[1] }), "2fa verify successful");
  });

  it("dies with logout-all, even for the right code", async () => {
    const { user, app, recoveryCodes } = await userWithTwoFactor();
    const token = await mfaToken(user);
    const session = expectSuccess(
      await verify({ mfa_token: await mfaToken(user), recovery_code: recoveryCodes[0] }),
      "2fa verify successful",
    );
    expect((await api("POST", "/auth/user/logout-all/", { headers: bearer(session.access) })).status).toBe(200);
    expectFailure(await verify({ mfa_token: token, code: await app.nextCode() }), 401, "MFA_TOKEN_INVALID");
  });
});

describe("when Redis loses what it knew about a user", () => {
  /** Deletes every Redis key of the user and of the given sessions, as a flush or a failover would. */
  async function forget(userId: string, sessions: Session[]) {
    const redis = testRedis();
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await redis.scan(cursor, { match: `user:${userId}:*`, count: 1000 });
      cursor = String(next);
      keys.push(...found);
    } while (cursor !== "0");
    for (const session of sessions) {
      const { sid, jti } = decodeJwt(session.access).payload;
      keys.push(`session:${sid}`, `denied-access:${jti}`);
    }
    if (keys.length > 0) await redis.del(...keys);
  }

  it("access tokens fail closed: one revoked by logout-all stays dead, and so do live ones (sign in again)", async () => {
    const { user, session } = await userWithSession();
    const other = (await login(user, user.password)).body.data as Session;
    expect((await api("POST", "/auth/user/logout-all/", { headers: bearer(session.access) })).status).toBe(200);
    const live = (await login(user, user.password)).body.data as Session;
    await forget(user.id, [session, other, live]);
    for (const lost of [session, other, live]) {
      expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(lost.access) }), 401, "INVALID_TOKEN");
    }
    // The owner signs in again as usual.
    expect((await login(user, user.password)).status).toBe(200);
  });

  it("a deleted user's access token stays dead", async () => {
    const { user, session } = await userWithSession();
    const other = (await login(user, user.password)).body.data as Session;
    const deleted = await api("DELETE", "/auth/user/delete/", {
      headers: bearer(session.access),
      json: { password: user.password },
    });
    expect(deleted.status, deleted.text).toBe(200);
    await forget(user.id, [session, other]);
    expectFailure(await api("POST", "/auth/jwt/check/", { headers: bearer(other.access) }), 401, "INVALID_TOKEN");
  });
});

describe("tokens_valid_after in MySQL", () => {
  it("only moves forward: a revocation that commits after a later one leaves the later time", async () => {
    const { user } = await userWithSession();
    const later = new Date(Date.now() + 5_000);
    const earlier = new Date(Date.now() + 1_000);
    expect(await updateUser(testDb(), user.id, { tokensValidAfter: later })).toBe(1);
    expect(await updateUser(testDb(), user.id, { tokensValidAfter: earlier, firstName: "Out-of-order" })).toBe(1);
    const row = await userRowById(user.id);
    expect(row?.tokensValidAfter?.getTime()).toBe(later.getTime());
    expect(row?.firstName).toBe("Out-of-order");
  });
});
