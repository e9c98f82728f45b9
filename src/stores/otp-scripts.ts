// Lua scripts for one-time codes. One code per (subject, purpose) in a hash
//   user:<subject>:otp:<purpose>        {hash, exp, sent, target, token, token_exp}
// and a failure counter per (subject, purpose) window, which a new code does not reset:
//   user:<subject>:otp-fails:<purpose>

/** KEYS: code, failures. ARGV: digest, now, ttl ms, cooldown ms, target. Returns {'ok'} | {'cooldown', ms left}. */
export const ISSUE_OTP = `
local now = tonumber(ARGV[2])
local wait = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0') + tonumber(ARGV[4]) - now
if wait > 0 then return {'cooldown', wait} end
-- A new code replaces the previous one (and any reset token issued for it).
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'hash', ARGV[1], 'exp', tostring(now + tonumber(ARGV[3])), 'sent', ARGV[2], 'target', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'ok', 0}
`;

/**
 * Checks a code (or a reset token) atomically, counting failures.
 * KEYS: code, failures, denied-access, valid-after (the last two only matter with ARGV[8]).
 * ARGV: digest, now, max failures, window ms, mode, token digest, token ttl ms, access iat ms or ''.
 * Modes: 'check' (keep the code), 'consume' (delete it), 'issue-token' (keep it and attach a
 * reset token), 'consume-token' (check the token instead of the code, then delete both).
 * Returns {'ok', target} | {'invalid'} | {'token-revoked'}.
 */
export const CHECK_OTP = `
local now = tonumber(ARGV[2])
if ARGV[8] ~= '' then
  if redis.call('EXISTS', KEYS[3]) == 1 then return {'token-revoked'} end
  if tonumber(ARGV[8]) < tonumber(redis.call('GET', KEYS[4]) or '0') then return {'token-revoked'} end
end
local max_failures = tonumber(ARGV[3])
if tonumber(redis.call('GET', KEYS[2]) or '0') >= max_failures then return {'invalid'} end
local field, expiry = 'hash', 'exp'
if ARGV[5] == 'consume-token' then field, expiry = 'token', 'token_exp' end
local stored = redis.call('HMGET', KEYS[1], field, expiry, 'target')
-- Digests are compared, never codes: how long this takes reveals nothing an attacker can use.
if not stored[1] or tonumber(stored[2]) <= now or stored[1] ~= ARGV[1] then
  local failures = redis.call('INCR', KEYS[2])
  if failures == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
  -- The last allowed failure kills the code itself.
  if failures >= max_failures then redis.call('DEL', KEYS[1]) end
  return {'invalid'}
end
if ARGV[5] == 'check' then return {'ok', stored[3]} end
if ARGV[5] == 'issue-token' then
  redis.call('HSET', KEYS[1], 'token', ARGV[6], 'token_exp', tostring(now + tonumber(ARGV[7])))
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[7]) then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
  return {'ok', stored[3]}
end
-- Single use: consuming the code or its reset token removes both.
redis.call('DEL', KEYS[1])
return {'ok', stored[3]}
`;
