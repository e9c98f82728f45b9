// Lua for password login: the lockout check, its reset and the new session in ONE script on
// success, and the failure count in one script on failure, so login stays 1 MySQL read + 1 Redis
// round trip either way. Captcha state (ARGV): 'off' (Turnstile not configured), 'missing' (on,
// no token sent) or 'solved' (a token Turnstile accepted: a few of those get through a lockout).
import { LOCKOUT } from "./lockout-scripts.ts";
import { CREATE_SESSION_STEPS } from "./session-scripts.ts";

/**
 * KEYS: family, user sessions, valid-after, lockout, ip failures.
 * ARGV: the 11 of CREATE_SESSION, captcha state, lockout policy (7).
 * Returns {'ok'} | {'locked', ms left} | {'captcha'}.
 */
export const LOGIN_SESSION = `${LOCKOUT}
local refused = login_gate(KEYS[4], KEYS[5], ARGV[12], tonumber(ARGV[4]), lock_policy(13))
if refused then return refused end
${CREATE_SESSION_STEPS}
return {'ok'}
`;

/**
 * KEYS: lockout, ip failures. ARGV: now, captcha state, lockout policy (7).
 * Returns {'failed'} | {'locked', ms left} (a running lockout: nothing counted) |
 * {'locked', ms, 'started'} (this failure started it) | {'captcha'} (nothing counted).
 */
export const LOGIN_FAILED = `${LOCKOUT}
local now = tonumber(ARGV[1])
local p = lock_policy(3)
local wait = lock_wait(KEYS[1], now)
-- Tries during a lockout are refused uncounted, so a flood from many IPs cannot extend it; a
-- bypass try (solved challenge) is answered for what it is, and counted toward nothing.
if wait > 0 then
  if lock_bypass(KEYS[1], ARGV[2], p) then return {'failed'} end
  return {'locked', wait}
end
if ARGV[2] == 'missing' and captcha_needed(KEYS[1], KEYS[2], now, p) then return {'captcha'} end
ip_fail(KEYS[2], p)
wait = lock_fail(KEYS[1], now, p)
if wait > 0 then return {'locked', wait, 'started'} end
return {'failed'}
`;

/**
 * A password check of a signed-in user (password change, account deletion, email change): the
 * same lockout as login by username, so a stolen access token cannot be used to guess the password.
 * KEYS: lockout. ARGV: now, outcome ('ok' | 'failed'), lockout policy (7).
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
