// Redis loses its data (a flush, or a restart without persistence): what was revoked must stay
// revoked, and what was live fails closed. Sessions live in Redis only, so every session ends;
// an access token needs its session, so every access token answers 401 at once, including one
// revoked by logout-all and a deleted user's (their revocation markers went with the flush). The
// owner signs in again as usual.
import { createClient } from "redis";
import { type Context, loggedIn, PASSWORD, type PhaseResult, send, Tally } from "./client.ts";

export async function runFlush(context: Context): Promise<PhaseResult> {
  const { base, stack } = context;
  const tally = new Tally();
  const violations: string[] = [];
  const call = async (what: string, expected: number, spec: Parameters<typeof send>[1]) => {
    const reply = await send(base, spec);
    tally.add(reply);
    if (reply.status !== expected)
      violations.push(`${what}: expected ${expected}, got ${reply.status} ${reply.text.slice(0, 120)}`);
    return reply;
  };
  const check = (what: string, access: string, expected: number) =>
    call(what, expected, { method: "POST", path: "/auth/jwt/check/", headers: { authorization: `Bearer ${access}` } });

  // Before: one live session, one revoked by logout-all, one of a deleted account.
  const live = await loggedIn(base, "flush");
  const revoked = await loggedIn(base, "flush");
  await call("logout-all", 200, {
    method: "POST",
    path: "/auth/user/logout-all/",
    headers: { authorization: `Bearer ${revoked.access}` },
  });
  const deleted = await loggedIn(base, "flush");
  await call("delete", 200, {
    method: "DELETE",
    path: "/auth/user/delete/",
    headers: { authorization: `Bearer ${deleted.access}` },
    json: { password: PASSWORD },
  });
  await check("live token before the flush", live.access, 200);
  await check("revoked token before the flush", revoked.access, 401);
  await check("deleted user's token before the flush", deleted.access, 401);

  const redis = createClient({ url: stack.redisUrl });
  await redis.connect();
  try {
    await redis.flushAll();
  } finally {
    await redis.quit();
  }

  await check("live token after the flush", live.access, 401);
  await check("revoked token after the flush", revoked.access, 401);
  await check("deleted user's token after the flush", deleted.access, 401);
  await call("refresh after the flush", 400, { method: "POST", path: "/auth/jwt/get-access/", json: { refresh: live.refresh } });
  const again = await call("login after the flush", 200, {
    method: "POST",
    path: "/auth/user/login/",
    json: { username: live.username, password: PASSWORD },
  });
  if (again.status === 200) await check("new token after the flush", String(again.body.data.access), 200);
  await call("deleted user's login after the flush", 401, {
    method: "POST",
    path: "/auth/user/login/",
    json: { username: deleted.username, password: PASSWORD },
  });
  return { phase: "redis flushed", tally, violations, notes: { checks: tally.total, failed: violations.length } };
}
