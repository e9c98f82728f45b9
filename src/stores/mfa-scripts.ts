// Lua for logins that need a second factor. The first factor ends in the login's one script
// (login-scripts.ts), which stores the challenge instead of creating a session. The second factor
// is two scripts, as many round trips as before: the challenge's read, which is also its guard's
// gate, then the answer (the challenge spent, the session made).
//
// An answer is counted as a wrong guess before it is looked at: the read reserves a place in the
// guard, and the answer script gives it back only when the answer was right. So concurrent answers
// can never overrun the guard, and a refused answer is refused before anything of it is examined
// or spent (a right recovery code or TOTP step sent while the guard is full stays unspent). A
// reservation whose answer never arrives (a worker killed between the two scripts) stays counted:
// failing closed, as a wrong guess.
//
// Keys: mfa:<sha-256 of the mfa_token>   hash {uid, uname, email, phone, tva, methods, secret,
//                                         codes, device, guard_kind, guard, fails}, 5 minutes
// The guard is the known device's lockout when the password came from one, else the account's
// second-factor budget (lockout:mfa:<uid>). Only the challenge names it, so the read script
// reaches it (and the user's valid-after) outside KEYS (the service runs on one logical keyspace,
// see session-scripts.ts).
// An SMS or email code is an ordinary one-time code (user:<uid>:otp:two-factor, see
// otp-scripts.ts), checked inside the answer script so it costs no round trip of its own.
import { LOCKOUT } from "./lockout-scripts.ts";
import { CREATE_SESSION_STEPS, SESSION_STALE } from "./session-scripts.ts";

/**
 * A challenge opened outside the password login's script (an email sign-in code was the first
 * factor). KEYS: challenge. ARGV: ttl ms, then its field/value pairs.
 */
export const MFA_OPEN = `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

/**
 * The challenge, if its guard admits an answer now; with a reservation id, the answer to come is
 * counted in the guard already. KEYS: challenge. ARGV: now, reservation id ('' when no answer
 * follows, as when a code is sent), lockout policy (9).
 * Returns {'ok', {field, value, ...}, 'filled' | ''} ('filled': this reservation filled the guard)
 * | {'gone'} | {'locked', ms left}.
 */
export const MFA_READ = `${LOCKOUT}
local now = tonumber(ARGV[1])
local c = redis.call('HGETALL', KEYS[1])
if #c == 0 then return {'gone'} end
local g = redis.call('HMGET', KEYS[1], 'guard_kind', 'guard', 'uid', 'tva')
-- Made before a password change, reset, 2FA change or logout-all: dead, before any answer is spent.
if tonumber(redis.call('GET', 'user:' .. g[3] .. ':tokens-valid-after') or '0') > tonumber(g[4] or '0') then
  redis.call('DEL', KEYS[1])
  return {'gone'}
end
local p = lock_policy(3)
local wait = guard_wait(g[1], g[2], now, p)
if wait > 0 then return {'locked', wait} end
local filled = ''
if ARGV[2] ~= '' and guard_fail(g[1], g[2], now, ARGV[2], p) > 0 then filled = 'filled' end
return {'ok', c, filled}
`;

/**
 * A second-factor answer. KEYS: family, user sessions, valid-after (of the session to create),
 * challenge, its guard, the user's two-factor code. ARGV: the 11 of CREATE_SESSION, outcome ('ok'
 * | 'failed', or 'code': compare ARGV[23] with the sent code's digest), wrong answers a challenge
 * survives, lockout policy (9), code digest, the phone number and the address the code may have
 * gone to (a code sent to a number since replaced does not count), guard kind, the reservation id
 * the read counted, 'filled' when that reservation filled the guard.
 * Returns {'ok'} | {'failed'} | {'gone'} (spent, expired or worn out) | {'locked', ms left[, 'started']}.
 */
export const MFA_ANSWER = `${LOCKOUT}${SESSION_STALE}
local now = tonumber(ARGV[4])
local p = lock_policy(14)
local kind = ARGV[26]
if redis.call('EXISTS', KEYS[4]) == 0 then return {'gone'} end
-- A challenge made before a password change, reset, 2FA change or logout-all is dead.
if session_stale() then
  redis.call('DEL', KEYS[4])
  return {'gone'}
end
local outcome = ARGV[12]
if outcome == 'code' then
  local sent = redis.call('HMGET', KEYS[6], 'hash', 'exp', 'target')
  local to_usable = sent[3] and sent[3] ~= '' and (sent[3] == ARGV[24] or sent[3] == ARGV[25])
  outcome = 'failed'
  if sent[1] and tonumber(sent[2]) > now and sent[1] == ARGV[23] and to_usable then
    redis.call('DEL', KEYS[6])
    outcome = 'ok'
  end
end
if outcome == 'ok' then
  redis.call('DEL', KEYS[4])
  -- The reservation is given back: a right answer from a known device clears its lockout.
  if kind == 'device' then redis.call('DEL', KEYS[5]) else redis.call('ZREM', KEYS[5], ARGV[27]) end
  ${CREATE_SESSION_STEPS}
  return {'ok', new_device}
end
-- A wrong answer (counted in its guard by the read already): the challenge dies after a few.
if redis.call('HINCRBY', KEYS[4], 'fails', 1) >= tonumber(ARGV[13]) then redis.call('DEL', KEYS[4]) end
local wait = 0
if ARGV[28] == 'filled' then wait = guard_wait(kind, KEYS[5], now, p) end
if wait > 0 then return {'locked', wait, 'started'} end
return {'failed'}
`;
