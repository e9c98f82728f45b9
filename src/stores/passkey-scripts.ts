// Lua for passkey sign-ins. A sign-in spends its challenge and opens the session in one script, so
// verifying an assertion costs one MySQL read (the passkey and its user) and this one round trip.
//
// Keys: webauthn:<challenge>   "<purpose>:<user id or empty>", 5 minutes, spent on first use
//   purpose 'register' (bound to the signed-in user) or 'login' (bound to the account a username
//   named, to a stand-in for an unknown name, or to nobody for a usernameless sign-in).
import { CREATE_SESSION_STEPS, SESSION_STALE } from "./session-scripts.ts";

/**
 * KEYS: family, user sessions, valid-after (of the session to create), the challenge. ARGV: the 11
 * of CREATE_SESSION. Returns 'ok' | 'gone' (unknown, expired or spent) | 'other-user' (the challenge
 * was asked for another account) | 'stale' (a revocation since the passkey's user was read).
 */
export const PASSKEY_LOGIN = `${SESSION_STALE}
local c = redis.call('GET', KEYS[4])
if not c then return 'gone' end
redis.call('DEL', KEYS[4])
if c ~= 'login:' and c ~= 'login:' .. ARGV[1] then return 'other-user' end
if session_stale() then return 'stale' end
${CREATE_SESSION_STEPS}
if new_device == 1 then return 'ok-new-device' end
return 'ok'
`;
