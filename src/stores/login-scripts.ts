// Lua for password login: ONE script per login, whatever its outcome, so a login stays 1 MySQL
// read + 1 Redis round trip. The script looks at the guard first (the device's lockout for a
// known device, the name's budget for anyone else) and answers a refusal before it reads the
// password's outcome: a refused login gets the same answer, after the same work, whether its
// password was right or wrong. Captcha state (ARGV): 'off' (Turnstile not configured), 'missing'
// (on, no token sent) or 'solved' (a token Turnstile accepted).
import { LOCKOUT } from "./lockout-scripts.ts";
import { CREATE_SESSION_STEPS } from "./session-scripts.ts";

/**
 * KEYS: family, user sessions, valid-after (of the session to create), guard, ip failures,
 * challenge (for a 2FA account).
 * ARGV: the 11 of CREATE_SESSION, outcome ('ok' | 'failed'), guard kind ('device' | 'budget'),
 * captcha state, lockout policy (9), request id, then ('session') or ('challenge', ttl ms, the
 * challenge's fields as name/value pairs).
 * Returns {'ok'} | {'failed'} | {'locked', ms left[, 'started']} | {'captcha'}.
 */
export const LOGIN_ATTEMPT = `${LOCKOUT}
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
-- A known device's failures are forgiven by its success; a name's budget never is (the guesses
-- strangers made stay counted however often the owner signs in).
if kind == 'device' then redis.call('DEL', KEYS[4]) end
if ARGV[25] == 'challenge' then
  redis.call('HSET', KEYS[6], unpack(ARGV, 27))
  redis.call('PEXPIRE', KEYS[6], ARGV[26])
  return {'ok'}
end
${CREATE_SESSION_STEPS}
return {'ok'}
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
