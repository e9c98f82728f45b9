// Lua for sign-in-with flows. A flow's one-time code (or a native ID token) is spent in the same
// script that opens what it leads to, a session or a second-factor challenge: an exchange is one
// round trip, and a code can never open two sessions however many requests race with it.
//
// Keys: oauth:flow:<sha-256 of state>   JSON of the flow, 10 minutes, taken (GETDEL) by the callback
//       oauth:spent:<code id>           '1' once a code or ID token was used, until it would have expired
import { CREATE_SESSION_STEPS, SESSION_STALE } from "./session-scripts.ts";

/**
 * KEYS: family, user sessions, valid-after (of the session to create), the spent marker. ARGV: the
 * 11 of CREATE_SESSION, then the marker's ttl ms. Returns 'ok' | 'used' | 'stale' (a revocation
 * since the user was read).
 */
export const OAUTH_SIGN_IN = `${SESSION_STALE}
if not redis.call('SET', KEYS[4], '1', 'NX', 'PX', ARGV[12]) then return 'used' end
if session_stale() then return 'stale' end
${CREATE_SESSION_STEPS}
if new_device == 1 then return 'ok-new-device' end
return 'ok'
`;

/**
 * KEYS: the spent marker, the second-factor challenge. ARGV: the marker's ttl ms, the challenge's
 * ttl ms, then its field/value pairs. Returns 'ok' | 'used'.
 */
export const OAUTH_OPEN_MFA = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 'used' end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 'ok'
`;
