// Lua for logins that need a second factor. The first factor ends in one script (the lockout gate
// as for a plain login, then the challenge instead of a session); the second ends in one script
// too (the code lockout, the challenge spent, the session created), so 2FA adds one Redis read
// and no more than one MySQL write to a login.
//
// Keys: mfa:<sha-256 of the mfa_token>   hash {uid, uname, email, phone, tva, methods, secret,
//                                         codes, fails}, 5 minutes
// An SMS or email code is an ordinary one-time code (user:<uid>:otp:two-factor, see
// otp-scripts.ts), checked inside the answer script so it costs no round trip of its own.
import { LOCKOUT } from "./lockout-scripts.ts";
import { CREATE_SESSION_STEPS } from "./session-scripts.ts";

/**
 * The right password of a 2FA account. KEYS: challenge, name lockout, ip failures.
 * ARGV: now, captcha state, lockout policy (7), challenge ttl ms, then the challenge's fields as
 * name/value pairs. Returns {'ok'} | {'locked', ms left} | {'captcha'}.
 */
export const MFA_CHALLENGE = `${LOCKOUT}
local refused = login_gate(KEYS[2], KEYS[3], ARGV[2], tonumber(ARGV[1]), lock_policy(3))
if refused then return refused end
redis.call('HSET', KEYS[1], unpack(ARGV, 11))
redis.call('PEXPIRE', KEYS[1], ARGV[10])
return {'ok'}
`;

/**
 * A second-factor answer. KEYS: family, user sessions, valid-after (of the session to create),
 * challenge, the user's code lockout, the user's two-factor code. ARGV: the 11 of CREATE_SESSION,
 * outcome ('ok' | 'failed', or 'code': compare ARGV[21] with the sent code's digest), wrong
 * answers a challenge survives, lockout policy (7), code digest, then the phone number and the
 * address the code may have gone to (a code sent to a number since replaced does not count).
 * Returns {'ok'} | {'failed'} | {'gone'} (spent, expired or worn out) | {'locked', ms left[, 'started']}.
 */
export const MFA_ANSWER = `${LOCKOUT}
local now = tonumber(ARGV[4])
local p = lock_policy(14)
if redis.call('EXISTS', KEYS[4]) == 0 then return {'gone'} end
local wait = lock_wait(KEYS[5], now)
if wait > 0 then return {'locked', wait} end
local outcome = ARGV[12]
if outcome == 'code' then
  local sent = redis.call('HMGET', KEYS[6], 'hash', 'exp', 'target')
  local to_usable = sent[3] and sent[3] ~= '' and (sent[3] == ARGV[22] or sent[3] == ARGV[23])
  outcome = 'failed'
  if sent[1] and tonumber(sent[2]) > now and sent[1] == ARGV[21] and to_usable then
    redis.call('DEL', KEYS[6])
    outcome = 'ok'
  end
end
if outcome == 'ok' then
  redis.call('DEL', KEYS[4])
  redis.call('DEL', KEYS[5])
  ${CREATE_SESSION_STEPS}
  return {'ok'}
end
-- A wrong answer: the challenge dies after a few, and each counts toward the account's lockout.
if redis.call('HINCRBY', KEYS[4], 'fails', 1) >= tonumber(ARGV[13]) then redis.call('DEL', KEYS[4]) end
wait = lock_fail(KEYS[5], now, p)
if wait > 0 then return {'locked', wait, 'started'} end
return {'failed'}
`;
