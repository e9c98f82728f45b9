// Lua for one-time codes. One code per (subject, purpose) in a hash
//   user:<subject>:otp:<purpose>        {hash, exp, sent, target, fails, token, token_exp}
// Each code allows a few wrong tries of its own (then it dies), so a fresh code the owner asks
// for is never spoiled by earlier guesses. Across codes, a signed-in user's checks have the
// subject's 'otp' lockout (see lockout-scripts.ts); password-reset codes have no lockout (nobody
// can block the mailbox path) but a cap on the codes an account is sent per hour.
import { LOCKOUT } from "./lockout-scripts.ts";
import { ACCESS_REVOKED } from "./session-scripts.ts";

/**
 * KEYS: code, sends (when the purpose caps sends per hour). ARGV: digest, now, ttl ms, cooldown
 * ms, target, sends allowed per hour (0: no cap). Returns {'ok'} | {'cooldown', ms left}.
 * At the cap the code already sent stays as it is: the last code the owner received still works.
 */
export const ISSUE_OTP = `
local now = tonumber(ARGV[2])
local wait = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0') + tonumber(ARGV[4]) - now
if wait > 0 then return {'cooldown', wait} end
local cap = tonumber(ARGV[6])
if cap > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now - 3600000))
  local sends = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  if #sends / 2 >= cap then return {'cooldown', tonumber(sends[2]) + 3600000 - now} end
  redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], 3600000)
end
-- A new code replaces the previous one (and any reset token issued for it).
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'exp', tostring(now + tonumber(ARGV[3])), 'sent', ARGV[2], 'target', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'ok', 0}
`;

/**
 * Checks a code (or a reset token) atomically, counting failures.
 * KEYS: code, lockout, denied-access, valid-after, the access token's session (the last three
 * only matter with ARGV[7]).
 * ARGV: digest, now, max failures per code, mode, token digest, token ttl ms, access iat ms or '',
 * captcha state, lockout policy (9), 'none' when no lockout applies (the mailbox path: only the
 * code's own tries bound guessing there) or 'lock', the access token's user id.
 * Modes: 'check' (keep the code), 'consume' (delete it), 'issue-token' (keep it and attach a
 * reset token), 'consume-token' (check the token instead of the code, then delete both).
 * Returns {'ok', target[, spent fields, ms it had left]} | {'invalid'} | {'token-revoked'}
 * | {'locked', ms left[, 'started']}.
 */
export const CHECK_OTP = `${LOCKOUT}${ACCESS_REVOKED}
local now = tonumber(ARGV[2])
local p = lock_policy(9)
local locking = ARGV[18] ~= 'none'
if ARGV[7] ~= '' and access_revoked(KEYS[3], KEYS[4], KEYS[5], ARGV[19], ARGV[7]) then return {'token-revoked'} end
-- During a lockout nothing is checked or counted, except a few tries with a solved challenge.
local wait = 0
if locking then wait = lock_wait(KEYS[2], now) end
local bypassing = wait > 0 and lock_bypass(KEYS[2], ARGV[8], p)
if wait > 0 and not bypassing then return {'locked', wait} end
local field, expiry = 'hash', 'exp'
if ARGV[4] == 'consume-token' then field, expiry = 'token', 'token_exp' end
local stored = redis.call('HMGET', KEYS[1], field, expiry, 'target')
-- Digests are compared, never codes: how long this takes reveals nothing an attacker can use.
if not stored[1] or tonumber(stored[2]) <= now or stored[1] ~= ARGV[1] then
  if redis.call('EXISTS', KEYS[1]) == 1 then
    -- The code's last allowed failure kills it.
    if redis.call('HINCRBY', KEYS[1], 'fails', 1) >= tonumber(ARGV[3]) then redis.call('DEL', KEYS[1]) end
  end
  if bypassing or not locking then return {'invalid'} end
  wait = lock_fail(KEYS[2], now, p)
  if wait > 0 then return {'locked', wait, 'started'} end
  return {'invalid'}
end
if locking then redis.call('DEL', KEYS[2]) end
if ARGV[4] == 'check' then return {'ok', stored[3]} end
if ARGV[4] == 'issue-token' then
  redis.call('HSET', KEYS[1], 'token', ARGV[5], 'token_exp', tostring(now + tonumber(ARGV[6])))
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[6]) then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
  return {'ok', stored[3]}
end
-- Single use: consuming the code or its reset token removes both. What was removed is returned,
-- for the caller to give back if the write the code was for does not answer (RESTORE_OTP).
local spent = redis.call('HGETALL', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
return {'ok', stored[3], spent, ttl}
`;

/**
 * Gives a consumed code back (its fields as they were, for what was left of its life), unless a
 * new code was sent meanwhile. KEYS: code. ARGV: ms left, then the field/value pairs.
 * Returns 1 when given back.
 */
export const RESTORE_OTP = `
if redis.call('EXISTS', KEYS[1]) == 1 or tonumber(ARGV[1]) <= 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

/**
 * An email change's undo, kept only when none is pending: a later change within its days must not
 * replace the owner's way back with one mailed to an address the thief controls. The old address is
 * held for the account as long (no one else can sign up with it or move to it meanwhile).
 * KEYS: the undo, the old address's hold. ARGV: token digest, old address, new address, ttl ms,
 * user id. Returns 1 when kept.
 */
export const KEEP_EMAIL_UNDO = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'old', ARGV[2], 'new', ARGV[3], 'hold', KEYS[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'PX', ARGV[4])
return 1
`;

/**
 * An email change's undo, read by its token. KEYS: the undo. ARGV: token digest, 'take' (delete it:
 * it worked) or 'peek'. Returns {old address, new address} when the digest matches, else {}.
 */
export const READ_EMAIL_UNDO = `
local u = redis.call('HMGET', KEYS[1], 'digest', 'old', 'new', 'hold')
if not u[1] or u[1] ~= ARGV[1] then return {} end
if ARGV[2] == 'take' then
  redis.call('DEL', KEYS[1])
  -- The hold's key is recorded in the undo (a keyed digest Lua cannot make).
  if u[4] then redis.call('DEL', u[4]) end
end
return {u[2], u[3]}
`;
