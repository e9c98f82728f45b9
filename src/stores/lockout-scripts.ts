// Lua for the lockouts and guessing budgets, included by the scripts that apply a password or a
// code outcome, so they cost no round trip of their own. Two kinds of guard (docs/lockout.md):
//
//   A lockout hash                 {fails, first, level, until, bypass}
//     for a known device (lockout:device:<device id>), a signed-in session's re-checks and a
//     user's own code checks. fails counts failures since `first` (forgotten after the window);
//     reaching the threshold locks it until `until`, for base * 2^(level-1) capped at max; the
//     level is remembered for `memory` ms after the last failure, so repeated lockouts grow. Only
//     the holder of that device or session can move it, so it cannot be turned against anyone else.
//
//   A budget: a sorted set of the times of failed guesses (member: the request's id)
//     for clients without a device token, per name typed (lockout:login:<hmac of the name>), and
//     for second-factor answers per account (user:<uid>:mfa-failures). At most per_hour failures
//     in any sliding hour and per_day in any 24 hours; a full budget refuses before anything is
//     evaluated and ends when its oldest counted failure leaves the window, never later: tries
//     while it is full are not counted, so nobody can stretch it.
//
// Callers append the policy to ARGV: threshold, base ms, max ms, window ms, memory ms, captcha
// after, bypass tries, budget per hour, budget per day.

export const LOCKOUT = `
local HOUR, DAY = 3600000, 86400000
local function ms(n) return string.format('%.0f', n) end
local function lock_policy(i)
  return { threshold = tonumber(ARGV[i]), base = tonumber(ARGV[i + 1]), max = tonumber(ARGV[i + 2]),
    window = tonumber(ARGV[i + 3]), memory = tonumber(ARGV[i + 4]), captcha_after = tonumber(ARGV[i + 5]),
    bypass = tonumber(ARGV[i + 6]), per_hour = tonumber(ARGV[i + 7]), per_day = tonumber(ARGV[i + 8]) }
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
    redis.call('HSET', key, 'until', ms(now + wait), 'fails', '0', 'bypass', '0')
  elseif fails == 1 then
    redis.call('HSET', key, 'fails', '1', 'first', ms(now))
  else
    redis.call('HSET', key, 'fails', tostring(fails))
  end
  redis.call('PEXPIRE', key, p.memory)
  return wait
end
-- ms until a budget admits another guess, 0 when it does now.
local function budget_wait(key, now, p)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ms(now - DAY))
  local s = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local n = #s / 2
  local wait = 0
  -- Full when the per_day-th (per_hour-th) latest failure is still inside its window.
  if n >= p.per_day then wait = tonumber(s[2 * (n - p.per_day + 1)]) + DAY - now end
  if n >= p.per_hour then wait = math.max(wait, tonumber(s[2 * (n - p.per_hour + 1)]) + HOUR - now) end
  return math.max(wait, 0)
end
-- Counts one failed guess; returns the ms until the next one may be evaluated (0: room left).
local function budget_spend(key, now, id, p)
  redis.call('ZADD', key, ms(now), id)
  redis.call('PEXPIRE', key, DAY)
  return budget_wait(key, now, p)
end
-- A guard of either kind: 'device' (a lockout hash) or 'budget'.
local function guard_wait(kind, key, now, p)
  if kind == 'device' then return lock_wait(key, now) end
  return budget_wait(key, now, p)
end
local function guard_fail(kind, key, now, id, p)
  if kind == 'device' then return lock_fail(key, now, p) end
  return budget_spend(key, now, id, p)
end
-- With Turnstile on, a client without a device token must solve a challenge once the name failed
-- a few times within the window, or its IP failed a few times across names.
local function captcha_needed(key, ip_key, now, p)
  if redis.call('ZCOUNT', key, ms(now - p.window), '+inf') >= p.captcha_after then return true end
  return tonumber(redis.call('GET', ip_key) or '0') >= p.captcha_after
end
local function ip_fail(ip_key, p)
  if redis.call('INCR', ip_key) == 1 then redis.call('PEXPIRE', ip_key, p.window) end
end
`;
