// Lua scripts for session state in Redis. Each runs atomically in one round trip, which is what
// makes rotation, reuse detection and revocation race-free (20 parallel refreshes of one token
// see one rotation, and the losers land in the grace branch).
//
// Keys: session:<sid>                      hash of one refresh-token family
//       user:<uid>:sessions                set of the user's family ids
//       user:<uid>:tokens-valid-after      ms; tokens issued earlier are dead (mirror of MySQL)
//       denied-access:<jti>                an access token revoked by logout, until it expires
//
// Four scripts (list, revoke-all, delete-user, update-emails) walk user:<uid>:sessions and touch
// the session:<sid> hashes it names, keys that are not in KEYS. That is deliberate: the members
// are only known inside the script, and declaring them would need a read first, one more round
// trip and a window in which a session opened between the read and the script escapes
// logout-all. The service runs against one logical keyspace (Upstash; the login script already
// pairs a name's lockout with a new session, which no hash tag could put in one cluster slot).

/**
 * An access token's revocation check, folded into every script that needs one: its jti denied
 * (logout), issued before the user's valid-after (logout-all, password and 2FA changes), or its
 * session gone. The last makes revocation win every race: a session a login opened just before a
 * logout-all is deleted by it, and its access tokens die with it, whatever clock stamped them.
 * It also fails closed when Redis loses its data: no session, no valid access token.
 */
export const ACCESS_REVOKED = `
local function access_revoked(denied_key, valid_after_key, family_key, uid, iat)
  if redis.call('EXISTS', denied_key) == 1 then return true end
  if tonumber(iat) < tonumber(redis.call('GET', valid_after_key) or '0') then return true end
  return redis.call('HGET', family_key, 'uid') ~= uid
end
`;

/** KEYS: denied-access, valid-after, the token's session. ARGV: uid, access iat ms. Returns 1 when revoked. */
export const ACCESS_STATE = `${ACCESS_REVOKED}
if access_revoked(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2]) then return 1 end
return 0
`;

/** Loads a family that is alive and belongs to ARGV[1]; nil otherwise. KEYS[1] family, KEYS[3] valid-after. */
const LOAD_FAMILY = `
local function load_family(now)
  local f = redis.call('HMGET', KEYS[1], 'uid', 'cur', 'prev', 'rot', 'created', 'exp', 'uname', 'email')
  if not f[1] or f[1] ~= ARGV[1] then return nil end
  if tonumber(f[6]) <= now then return nil end
  local valid_after = tonumber(redis.call('GET', KEYS[3]) or '0')
  if tonumber(f[5]) < valid_after then return nil end
  return f
end
local function revoke_family()
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
end
`;

/**
 * Whether a session may still be made for what the caller read from MySQL: not when the user's
 * valid-after moved past it since (a password change, reset, 2FA change or logout-all that a
 * login, or a second-factor challenge, raced with). Revocation wins. KEYS[3] valid-after,
 * ARGV[11] the valid-after read.
 */
export const SESSION_STALE = `
local function session_stale()
  return tonumber(redis.call('GET', KEYS[3]) or '0') > tonumber(ARGV[11])
end
`;

/** KEYS: family, user sessions, valid-after. ARGV: uid, sid, jti, now, exp, username, email, user agent, country, ttl ms, valid-after from MySQL. */
/** How long a device stays known without a sign-in from it (new-device notices). */
export const DEVICE_MEMORY_MS = 90 * 86_400_000;

export const CREATE_SESSION_STEPS = `
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'cur', ARGV[3], 'prev', '', 'rot', '0', 'created', ARGV[4], 'used', ARGV[4],
  'exp', ARGV[5], 'uname', ARGV[6], 'email', ARGV[7], 'ua', ARGV[8], 'country', ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[10])
redis.call('SADD', KEYS[2], ARGV[2])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[10]) then redis.call('PEXPIRE', KEYS[2], ARGV[10]) end
-- Re-mirror MySQL's tokens_valid_after, in case Redis lost it.
local from_db = tonumber(ARGV[11])
if from_db > 0 and from_db > tonumber(redis.call('GET', KEYS[3]) or '0') then
  redis.call('SET', KEYS[3], ARGV[11], 'PX', ARGV[10])
end
-- New-device notice. The last ARGV is this sign-in's device digest ('' when notices are off):
-- new_device is 1 when the user has signed in before, but not from it in the last 90 days.
local new_device = 0
local device = ARGV[#ARGV]
if device ~= '' then
  local devices = 'user:' .. ARGV[1] .. ':devices'
  local seen = redis.call('HGET', devices, device)
  if (not seen or tonumber(ARGV[4]) - tonumber(seen) > ${DEVICE_MEMORY_MS}) and redis.call('HLEN', devices) > 0 then
    new_device = 1
  end
  redis.call('HSET', devices, device, ARGV[4])
  redis.call('PEXPIRE', devices, ${DEVICE_MEMORY_MS})
end
`;

/** Returns 1 (2: from a new device), or 0 when stale (see SESSION_STALE): nothing is created then. */
export const CREATE_SESSION = `${SESSION_STALE}
if session_stale() then return 0 end
${CREATE_SESSION_STEPS}
return 1 + new_device
`;

/**
 * The user's role for a refreshed access token: user:<uid>:role, outside KEYS like the session
 * walks above (one logical keyspace). Absent (a user, or Redis lost it) reads as 'user': an admin
 * whose mirror is gone signs in again, the row's role is read then. Fails closed.
 */
const ROLE_OF = `
local function role_of(uid)
  return redis.call('GET', 'user:' .. uid .. ':role') or 'user'
end
`;

/**
 * KEYS: family, user sessions, valid-after. ARGV: uid, sid, presented jti, new jti, now, grace ms.
 * Returns {'ok', successor jti, successor issued-at ms, family exp, username, email, role} | {'invalid'} | {'reused'}.
 */
export const ROTATE_REFRESH = `${LOAD_FAMILY}${ROLE_OF}
local now = tonumber(ARGV[5])
local f = load_family(now)
if not f then return {'invalid'} end
if ARGV[3] == f[2] then
  redis.call('HSET', KEYS[1], 'cur', ARGV[4], 'prev', ARGV[3], 'rot', ARGV[5], 'used', ARGV[5])
  return {'ok', ARGV[4], ARGV[5], f[6], f[7], f[8], role_of(ARGV[1])}
end
if ARGV[3] == f[3] and now - tonumber(f[4]) <= tonumber(ARGV[6]) then
  return {'ok', f[2], f[4], f[6], f[7], f[8], role_of(ARGV[1])}
end
-- A rotated token came back after the grace window: someone holds a copy. Kill the family.
revoke_family()
return {'reused'}
`;

/** KEYS: family, user sessions, valid-after. ARGV: uid, sid, presented jti, now, grace ms. Returns {'ok', username, email, role} | … */
export const USE_REFRESH = `${LOAD_FAMILY}${ROLE_OF}
local now = tonumber(ARGV[4])
local f = load_family(now)
if not f then return {'invalid'} end
if ARGV[3] == f[2] or (ARGV[3] == f[3] and now - tonumber(f[4]) <= tonumber(ARGV[5])) then
  redis.call('HSET', KEYS[1], 'used', ARGV[4])
  return {'ok', f[7], f[8], role_of(ARGV[1])}
end
revoke_family()
return {'reused'}
`;

/**
 * Logout in one round trip, including the access token's revocation check.
 * KEYS: family, user sessions, valid-after, denied-access, the access token's session.
 * ARGV: uid, sid, access iat ms, access ttl ms.
 */
export const LOGOUT = `${ACCESS_REVOKED}
if access_revoked(KEYS[4], KEYS[3], KEYS[5], ARGV[1], ARGV[3]) then return 'token-revoked' end
if redis.call('HGET', KEYS[1], 'uid') ~= ARGV[1] then return 'not-found' end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[4])
return 'ok'
`;

/** A user's live sessions (the dead ones pruned on the way): {{sid, created, used, ua, country}, ...}. */
const LIVE_SESSIONS = `
local now = tonumber(ARGV[1])
local valid_after = tonumber(redis.call('GET', KEYS[2]) or '0')
local out = {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local f = redis.call('HMGET', ARGV[2] .. sid, 'created', 'used', 'ua', 'country', 'exp')
  if f[1] and tonumber(f[5]) > now and tonumber(f[1]) >= valid_after then
    table.insert(out, {sid, f[1], f[2], f[3], f[4]})
  else
    redis.call('SREM', KEYS[1], sid)
  end
end
return out
`;

/** An operator's view of a user's sessions (the admin API): LIST_SESSIONS without a caller's token. KEYS: user sessions, valid-after. ARGV: now ms, session key prefix. */
export const LIST_USER_SESSIONS = LIVE_SESSIONS;

/**
 * The caller's sessions, with the caller's access-token revocation check folded in (one round
 * trip for the whole request). KEYS: user sessions, valid-after, denied-access, the access
 * token's session. ARGV: now, key prefix, access iat ms, uid.
 * Returns 'token-revoked' | {{sid, created, used, ua, country}, ...}.
 */
export const LIST_SESSIONS = `${ACCESS_REVOKED}
if access_revoked(KEYS[3], KEYS[2], KEYS[4], ARGV[4], ARGV[3]) then return 'token-revoked' end
${LIVE_SESSIONS}`;

/** KEYS: family, user sessions. ARGV: uid, sid. Returns 1 when the caller's family was revoked. */
export const REVOKE_SESSION = `
if redis.call('HGET', KEYS[1], 'uid') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
`;

/** KEYS: user sessions, valid-after, then any lockouts to lift (a password reset). ARGV: valid-after ms, ttl ms, key prefix. */
export const REVOKE_ALL_SESSIONS = `
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
end
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', ARGV[3] .. sid) end
redis.call('DEL', KEYS[1])
for i = 3, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
`;

/**
 * Account deletion: every family and per-user key goes; the valid-after key becomes a tombstone
 * (no token of this user id is ever valid again) until all of its tokens would have expired.
 * KEYS: user sessions, valid-after, then any other per-user keys. ARGV: ttl ms, key prefix, tombstone.
 */
export const DELETE_USER_STATE = `
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', ARGV[2] .. sid) end
for i = 3, #KEYS do
  -- A pending email undo holds the old address for this account: the hold goes with it.
  if redis.call('TYPE', KEYS[i]).ok == 'hash' then
    local hold = redis.call('HGET', KEYS[i], 'hold')
    if hold then redis.call('DEL', hold) end
  end
  redis.call('DEL', KEYS[i])
end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[1])
return 1
`;

/** KEYS: user sessions. ARGV: new email, key prefix. The sessions' copy of the email, for new access tokens. */
export const UPDATE_SESSION_EMAILS = `
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[2] .. sid) == 1 then redis.call('HSET', ARGV[2] .. sid, 'email', ARGV[1]) end
end
return 1
`;
