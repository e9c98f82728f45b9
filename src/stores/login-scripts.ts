// Lua for password login: ONE script per login, whatever its outcome, so a login stays 1 MySQL
// read + 1 Redis round trip. The script looks at the guard first (the device's lockout for a
// known device, the name's budget for anyone else) and answers a refusal before it reads the
// password's outcome: a refused login gets the same answer, after the same work, whether its
// password was right or wrong. Captcha state (ARGV): 'off' (Turnstile not configured), 'missing'
// (on, no token sent) or 'solved' (a token Turnstile accepted).
import { LOCKOUT } from "./lockout-scripts.ts";
import { CREATE_SESSION_STEPS, SESSION_STALE } from "./session-scripts.ts";

/**
 * Before any password is looked at: how long each guard a login may fall under still refuses,
 * read alongside the account's MySQL row, so a refused login evaluates nothing (not even the
 * PBKDF2 of what it carried). KEYS: the typed name's budget, the device lockout the client's
 * token names (unverified here: it is used only once the token checks out for the account).
 * ARGV: now, lockout policy (9). Returns {budget ms left, device ms left}.
 */
export const LOGIN_GATE = `${LOCKOUT}
local now = tonumber(ARGV[1])
local p = lock_policy(2)
return {guard_wait('budget', KEYS[1], now, p), guard_wait('device', KEYS[2], now, p)}
`;

/**
 * One wrong password counted in a name's budget outside a login (a signup's retry check): refused
 * uncounted while the budget is full. KEYS: the budget. ARGV: now, request id, lockout policy (9).
 * Returns ms until the budget admits another guess (0: room left).
 */
export const COUNT_NAME_GUESS = `${LOCKOUT}
local now = tonumber(ARGV[1])
local p = lock_policy(3)
local wait = budget_wait(KEYS[1], now, p)
if wait > 0 then return wait end
return budget_spend(KEYS[1], now, ARGV[2], p)
`;

/**
 * KEYS: family, user sessions, valid-after (of the session to create), guard, ip failures,
 * challenge (for a 2FA account).
 * ARGV: the 11 of CREATE_SESSION, outcome ('ok' | 'failed'), guard kind ('device' | 'budget'),
 * captcha state, lockout policy (9), request id, then ('session'), ('challenge', ttl ms, the
 * challenge's fields as name/value pairs) or ('nothing': a disabled account, whose right password
 * passes every guard like any other and opens nothing), and last the device digest (new-device notices).
 * Returns {'ok', new device 0|1} | {'failed'} | {'locked', ms left[, 'started']} | {'captcha'} | {'stale'}.
 */
export const LOGIN_ATTEMPT = `${LOCKOUT}${SESSION_STALE}
local now = tonumber(ARGV[4])
local p = lock_policy(15)
local kind = ARGV[13]
local wait = guard_wait(kind, KEYS[4], now, p)
if wait > 0 then return {'locked', wait} end
if kind == 'budget' and ARGV[14] == 'missing' and captcha_needed(KEYS[4], KEYS[5], now, p) then return {'captcha'} end
-- Only now is the outcome looked at.
if ARGV[12] ~= 'ok' then
  if kind == 'budget' then ip_fail(KEYS[5], p) end
  wait = guard_fail(kind, KEYS[4], now, ARGV[24], p)
  if wait > 0 then return {'locked', wait, 'started'} end
  return {'failed'}
end
-- The password was right for the row the login read; a revocation since then (a password change
-- or logout-all it raced with) wins, and nothing is counted or created.
if session_stale() then return {'stale'} end
-- A known device's failures are forgiven by its success; a name's budget never is (the guesses
-- strangers made stay counted however often the owner signs in).
if kind == 'device' then redis.call('DEL', KEYS[4]) end
if ARGV[25] == 'nothing' then return {'ok'} end
if ARGV[25] == 'challenge' then
  redis.call('HSET', KEYS[6], unpack(ARGV, 27, #ARGV - 1))
  redis.call('PEXPIRE', KEYS[6], ARGV[26])
  return {'ok'}
end
${CREATE_SESSION_STEPS}
return {'ok', new_device}
`;

/**
 * A password or code check of a signed-in user (password change, account deletion, email change,
 * 2FA settings), limited per session: a stolen access token cannot be used to guess the password,
 * and nobody else's failures can lock the owner's session.
 * KEYS: the session's lockout. ARGV: now, outcome ('ok' | 'failed'), lockout policy (9).
 * Returns {'ok'} | {'failed'} | {'locked', ms left[, 'started']}.
 */
export const REAUTHENTICATE = `${LOCKOUT}
local now = tonumber(ARGV[1])
local p = lock_policy(3)
local wait = lock_wait(KEYS[1], now)
if wait > 0 then return {'locked', wait} end
if ARGV[2] == 'ok' then
  redis.call('DEL', KEYS[1])
  return {'ok'}
end
wait = lock_fail(KEYS[1], now, p)
if wait > 0 then return {'locked', wait, 'started'} end
return {'failed'}
`;
