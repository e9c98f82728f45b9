// Races: many requests on one name, token, code or account at the same instant, each checked for
// its exact outcome. The claims under test are those of docs/security.md: unique indexes decide signups, the
// refresh grace window hands every parallel refresh one successor, a reset code yields one token
// and that token resets once, deletion is all-or-nothing against racing writes and logins, and a
// session logs out once. Any other outcome, a 5xx, a hang or a missing envelope is a violation.
import mysql, { type RowDataPacket } from "mysql2/promise";
import {
  type Context,
  HANG_MS,
  isEnvelope,
  latestCode,
  PASSWORD,
  type PhaseResult,
  type Reply,
  type RequestSpec,
  send,
  Tally,
} from "./client.ts";

const NEW_PASSWORD = "Raced-passphrase-77";

/** "status" or "status CODE": the shape every race outcome is compared and reported in. */
function outcome(reply: Reply): string {
  const code = reply.body?.error?.code;
  return typeof code === "string" ? `${reply.status} ${code}` : String(reply.status);
}

function summary(replies: Reply[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) counts[outcome(reply)] = (counts[outcome(reply)] ?? 0) + 1;
  return counts;
}

const bearer = (access: string) => ({ authorization: `Bearer ${access}` });
const unique = (prefix: string) => `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export async function runRaces(context: Context): Promise<PhaseResult> {
  const { base } = context;
  const tally = new Tally();
  const violations: string[] = [];
  const notes: Record<string, unknown> = {};
  const db = await mysql.createConnection(context.stack.mysqlUrl);

  // Every reply goes through here, so the rules all races share (no 5xx, no hang, an envelope)
  // are checked once. Only the outbox polls of latestCode() are left out: their number is timing.
  const call = async (race: string, spec: RequestSpec): Promise<Reply> => {
    const reply = await send(base, spec);
    tally.add(reply);
    const what = `${race}: ${spec.method ?? "GET"} ${spec.path}`;
    if (reply.hung) violations.push(`${what} hung (no answer in ${HANG_MS} ms)`);
    else if (reply.status < 0 || reply.status >= 500) violations.push(`${what} → ${reply.status} ${reply.text.slice(0, 160)}`);
    else if (!isEnvelope(reply)) violations.push(`${what} → ${reply.status} without envelope: ${reply.text.slice(0, 120)}`);
    return reply;
  };
  const burst = (race: string, n: number, spec: (i: number) => RequestSpec) =>
    Promise.all(Array.from({ length: n }, (_, i) => call(race, spec(i))));
  const expect = (race: string, ok: boolean, wanted: string, seen: unknown) => {
    if (!ok) violations.push(`${race}: expected ${wanted}, saw ${typeof seen === "string" ? seen : JSON.stringify(seen)}`);
  };
  const login = (race: string, username: string, password: string) =>
    call(race, { method: "POST", path: "/auth/user/login/", json: { username, password } });
  // A fresh account with one session, built with call() so setup replies are tallied too.
  const session = async (race: string) => {
    const username = unique(`race_${race}`);
    const email = `${username}@example.com`;
    const json = { username, email, password: PASSWORD, password2: PASSWORD };
    const created = await call(race, { method: "POST", path: "/auth/user/signup/", json });
    if (created.status !== 201) throw new Error(`setup signup → ${outcome(created)}`);
    const logged = await login(race, username, PASSWORD);
    if (logged.status !== 200) throw new Error(`setup login → ${outcome(logged)}`);
    const { access, refresh } = logged.body.data as { access: string; refresh: string };
    return { username, email, id: String(created.body.data.user_id), access, refresh };
  };
  const count = async (sql: string, value: string) => {
    const [rows] = await db.query<RowDataPacket[]>(sql, [value]);
    return Number(rows[0]?.n);
  };
  // One race: its notes (outcomes and seconds) are kept even when its setup throws, and a throw
  // never stops the races after it.
  const race = async (name: string, body: () => Promise<Record<string, unknown>>) => {
    const started = performance.now();
    let result: Record<string, unknown> = {};
    try {
      result = await body();
    } catch (error) {
      violations.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    notes[name] = { ...result, seconds: Number(((performance.now() - started) / 1000).toFixed(2)) };
  };

  try {
    await race("signups", async () => {
      const username = unique("race_su");
      const replies = await burst("signups", 50, (i) => ({
        method: "POST",
        path: "/auth/user/signup/",
        json: { username, email: `${username}_${i}@example.com`, password: PASSWORD, password2: PASSWORD },
      }));
      const seen = summary(replies);
      const taken = replies.filter((r) => r.status === 400 && Array.isArray(r.body?.error?.details?.username)).length;
      expect("signups", seen["201"] === 1 && seen["400 VALIDATION_ERROR"] === 49, "1 × 201 + 49 × 400", seen);
      expect("signups", taken === 49, "49 × details.username", `${taken}`);
      const rows = await count("SELECT COUNT(*) AS n FROM users WHERE username_canonical = ?", username.toLowerCase());
      expect("signups", rows === 1, "1 users row", `${rows}`);
      return { outcomes: seen, rows };
    });

    await race("refreshes", async () => {
      const { refresh } = await session("rf");
      const replies = await burst("refreshes", 20, () => ({ method: "POST", path: "/auth/jwt/get-refresh/", json: { refresh } }));
      const seen = summary(replies);
      const successors = new Set(replies.filter((r) => r.status === 200).map((r) => r.body.data.refresh as string));
      expect("refreshes", seen["200"] === 20, "20 × 200", seen);
      expect("refreshes", successors.size === 1, "1 distinct successor", `${successors.size}`);
      // The grace window must not have revoked the family: the shared successor still works.
      const [successor] = successors;
      const access = successor
        ? await call("refreshes", { method: "POST", path: "/auth/jwt/get-access/", json: { refresh: successor } })
        : undefined;
      if (access) expect("refreshes", access.status === 200, "successor get-access 200", outcome(access));
      return { outcomes: seen, successors: successors.size, successorAccess: access && outcome(access) };
    });

    // Races 3 and 4 share one account: the reset token the confirms agree on is the one raced.
    let reset: { email: string; username: string; token: string } | undefined;
    await race("confirms", async () => {
      const { email, username } = await session("pw");
      const forget = await call("confirms", { method: "POST", path: "/auth/password/forget/", json: { email } });
      if (forget.status !== 200) throw new Error(`forget → ${outcome(forget)}`);
      const otp = await latestCode(base, email);
      const replies = await burst("confirms", 16, () => ({
        method: "POST",
        path: "/auth/password/forget/confirm/",
        json: { email, otp },
      }));
      const seen = summary(replies);
      const tokens = new Set(replies.filter((r) => r.status === 200).map((r) => r.body.data.reset_token as string));
      expect("confirms", seen["200"] === 16, "16 × 200", seen);
      expect("confirms", tokens.size === 1, "1 distinct reset_token", `${tokens.size}`);
      const [token] = tokens;
      if (token) reset = { email, username, token };
      return { outcomes: seen, tokens: tokens.size };
    });

    await race("resets", async () => {
      if (!reset) throw new Error("skipped: no reset token from confirms");
      const { email, username, token } = reset;
      const json = { email, reset_token: token, password1: NEW_PASSWORD, password2: NEW_PASSWORD };
      const replies = await burst("resets", 16, () => ({ method: "POST", path: "/auth/password/reset/", json }));
      const seen = summary(replies);
      // Not "15 × 400": each loser is a failed code check on the email's reset lockout, and the
      // fifth failure in a row locks it (docs/security.md, Abuse protection), so after the winner come 4 ×
      // 400 OTP_INVALID and then 429 RATE_LIMITED with Retry-After (more 400s if the winner's
      // lifting of lockouts lands in between). Anything else, or a second 200, is a violation.
      const invalid = seen["400 OTP_INVALID"] ?? 0;
      const locked = replies.filter((r) => outcome(r) === "429 RATE_LIMITED" && r.headers.has("retry-after")).length;
      const wanted = "1 × 200, ≥ 4 × 400 OTP_INVALID, the rest 429 RATE_LIMITED with Retry-After";
      expect("resets", seen["200"] === 1 && invalid >= 4 && invalid + locked === 15, wanted, seen);
      const fresh = await login("resets", username, NEW_PASSWORD);
      const old = await login("resets", username, PASSWORD);
      expect("resets", fresh.status === 200, "login with the new password 200", outcome(fresh));
      expect("resets", old.status === 401, "login with the old password 401", outcome(old));
      return { outcomes: seen, newLogin: outcome(fresh), oldLogin: outcome(old) };
    });

    await race("delete", async () => {
      const { id, username, access } = await session("del");
      const auth = bearer(access);
      const [deleted, updates, profile, logins] = await Promise.all([
        call("delete", { method: "DELETE", path: "/auth/user/delete/", headers: auth, json: { password: PASSWORD } }),
        burst("delete", 5, (i) => ({
          method: "PUT",
          path: "/auth/user/update/",
          headers: auth,
          json: { first_name: `Racer${i}` },
        })),
        call("delete", { method: "PUT", path: "/profile/update/", headers: auth, json: { city: "Racetown" } }),
        burst("delete", 3, () => ({ method: "POST", path: "/auth/user/login/", json: { username, password: PASSWORD } })),
      ]);
      expect("delete", deleted.status === 200, "delete 200", outcome(deleted));
      const rows = await count("SELECT COUNT(*) AS n FROM users WHERE id = ?", id);
      expect("delete", rows === 0, "user row gone", `${rows} rows`);
      const after = await login("delete", username, PASSWORD);
      expect("delete", after.status === 401, "login after delete 401", outcome(after));
      // docs/security.md: the tombstone kills sessions a racing login created; their access tokens must be dead.
      const won = logins.filter((r) => r.status === 200).map((r) => r.body.data.access as string);
      const checks = await Promise.all(
        won.map((t) => call("delete", { method: "POST", path: "/auth/jwt/check/", headers: bearer(t) })),
      );
      for (const check of checks) expect("delete", check.status === 401, "racing login's token dead (401)", outcome(check));
      return {
        delete: outcome(deleted),
        updates: summary([...updates, profile]),
        logins: summary(logins),
        rows,
        loginAfter: outcome(after),
        racedTokens: summary(checks),
      };
    });

    await race("logouts", async () => {
      const { access, refresh } = await session("lo");
      const replies = await burst("logouts", 10, () => ({
        method: "POST",
        path: "/auth/user/logout/",
        headers: bearer(access),
        json: { refresh },
      }));
      const seen = summary(replies);
      const losers = replies.filter((r) => ["401 INVALID_TOKEN", "400 INVALID_REFRESH_TOKEN"].includes(outcome(r))).length;
      expect("logouts", seen["200"] === 1 && losers === 9, "1 × 200 + 9 × (401 INVALID_TOKEN | 400 INVALID_REFRESH_TOKEN)", seen);
      return { outcomes: seen };
    });
  } finally {
    await db.end();
  }
  return { phase: "races", tally, violations, notes };
}
