// Lua for the per-account lockout, included by the scripts that check a password or a code, so
// the lockout costs no round trip of its own. One hash per (scope, subject):
//   lockout:<scope>:<subject>   {fails, first, level, until, bypass}
// fails counts failures since `first` (forgotten after the window); reaching the threshold locks
// the subject until `until`, for base * 2^(level-1) capped at max, and starts counting afresh.
// The level is remembered for `memory` ms after the last failure, so repeated lockouts grow.
// With Turnstile on, a solved challenge lets a locked subject try a few times per lockout
// (`bypass`): enough for its owner, useless for guessing.
// Callers append the policy to ARGV: threshold, base ms, max ms, window ms, memory ms, captcha
// after, bypass tries.

export const LOCKOUT = `
local function lock_policy(i)
  return { threshold = tonumber(ARGV[i]), base = tonumber(ARGV[i + 1]), max = tonumber(ARGV[i + 2]),
    window = tonumber(ARGV[i + 3]), memory = tonumber(ARGV[i + 4]), captcha_after = tonumber(ARGV[i + 5]),
    bypass = tonumber(ARGV[i + 6]) }
end
-- A try during a lockout goes ahead only with a solved challenge, and only a few times per lockout.
local function lock_bypass(key, captcha, p)
  return captcha == 'solved' and redis.call('HINCRBY', key, 'bypass', 1) <= p.bypass
end
-- ms left of a running lockout, 0 when there is none.
local function lock_wait(key, now)
  local u = tonumber(redis.call('HGET', key, 'until') or '0')
  if u > now then return u - now end
  return 0
end
local function lock_failures(key, now, p)
  local f = redis.call('HMGET', key, 'fails', 'first')
  if not f[1] or now - tonumber(f[2] or '0') > p.window then return 0 end
  return tonumber(f[1])
end
-- Counts one failure; returns the ms of the lockout it started, or 0.
local function lock_fail(key, now, p)
  local fails = lock_failures(key, now, p) + 1
  local wait = 0
  if fails >= p.threshold then
    local level = redis.call('HINCRBY', key, 'level', 1)
    wait = math.min(p.base * 2 ^ (level - 1), p.max)
    redis.call('HSET', key, 'until', string.format('%.0f', now + wait), 'fails', '0', 'bypass', '0')
  elseif fails == 1 then
    redis.call('HSET', key, 'fails', '1', 'first', string.format('%.0f', now))
  else
    redis.call('HSET', key, 'fails', tostring(fails))
  end
  redis.call('PEXPIRE', key, p.memory)
  return wait
end
-- With Turnstile on: a subject that failed a few times, was ever locked, or whose client IP
-- failed a few times (across accounts) must solve a challenge.
local function captcha_needed(key, ip_key, now, p)
  if lock_failures(key, now, p) >= p.captcha_after then return true end
  if tonumber(redis.call('HGET', key, 'level') or '0') > 0 then return true end
  return tonumber(redis.call('GET', ip_key) or '0') >= p.captcha_after
end
-- The right password's gate: nil when it may pass (its name's failures and lockout history are
-- then forgiven), else the reply refusing it ({'locked', ms left} or {'captcha'}).
local function login_gate(key, ip_key, captcha, now, p)
  local wait = lock_wait(key, now)
  if wait > 0 and not lock_bypass(key, captcha, p) then return {'locked', wait} end
  if captcha == 'missing' and captcha_needed(key, ip_key, now, p) then return {'captcha'} end
  redis.call('DEL', key)
  return nil
end
local function ip_fail(ip_key, p)
  if redis.call('INCR', ip_key) == 1 then redis.call('PEXPIRE', ip_key, p.window) end
end
`;
