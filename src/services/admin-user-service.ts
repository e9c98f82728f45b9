// What the admin API shows of one user: the profile as the user sees it, with the role, the
// second-factor methods, passkeys, linked identities and the last 20 security events. Never a
// secret: no password hash, TOTP seed or recovery code digests.
import type { Deps } from "../deps.ts";
import { AppError } from "../lib/errors.ts";
import { parseMethods } from "../lib/two-factor.ts";
import { identityView } from "./identity-service.ts";
import { passkeyView } from "./passkey-service.ts";
import { securityEventsOf } from "./security-log.ts";
import { publicUser } from "./user-view.ts";

export async function userForAdmin(
  deps: Pick<Deps, "clock" | "identities" | "passkeys" | "securityEvents" | "users">,
  id: string,
) {
  const user = await deps.users.findById(id);
  if (!user) throw new AppError("NOT_FOUND", { message: "no such user" });
  const [passkeys, identities, events] = await Promise.all([
    deps.passkeys.list(id),
    deps.identities.list(id),
    securityEventsOf(deps.securityEvents, id, 20),
  ]);
  return {
    user: publicUser(user, deps.clock.now()),
    role: user.role === "admin" ? "admin" : "user",
    has_password: user.passwordHash !== null,
    two_factor_methods: parseMethods(user.twoFactorMethods),
    last_login_at: user.lastLoginAt?.toISOString() ?? null,
    passkeys: passkeys.map(passkeyView),
    identities: identities.map(identityView),
    security_events: events.events,
  };
}
