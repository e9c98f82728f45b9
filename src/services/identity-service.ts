// A user's linked identities (accounts at other providers they sign in with): listing them, and
// unlinking one, which needs a recent sign-in or the password (see recent-sign-in.ts) and is never
// the account's last way to sign in. Linking comes with the sign-in-with flows.
import type { IdentityRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { AppError, validationError } from "../lib/errors.ts";
import { sendEmail } from "./delivery.ts";
import { identityUnlinkedEmail } from "./messages.ts";
import type { SignedIn } from "./reauthentication.ts";
import { type Reauthentication, type RecentSignInDeps, requireRecentSignIn } from "./recent-sign-in.ts";

/** An identity as the API shows it. */
export function identityView(row: IdentityRow) {
  return {
    id: row.id,
    provider: row.provider,
    email: row.email,
    email_verified: row.emailVerified,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
  };
}

export async function listIdentities(deps: Pick<Deps, "identities">, caller: SignedIn) {
  return (await deps.identities.list(caller.userId)).map(identityView);
}

/** Unlinks an identity, never the account's last way to sign in (400); a notice mail and an event follow. */
export async function unlinkIdentity(
  deps: RecentSignInDeps & Pick<Deps, "identities">,
  caller: SignedIn,
  id: string,
  reauth: Reauthentication,
) {
  await requireRecentSignIn(deps, caller, reauth);
  const linked = (await deps.identities.list(caller.userId)).find((identity) => identity.id === id);
  const result = await deps.identities.unlink(caller.userId, id);
  if (result === "not-found" || !linked) throw new AppError("NOT_FOUND");
  if (result === "last-way-in")
    throw validationError({
      non_field_errors: ["This is the account's last way to sign in: set a password or add a passkey first."],
    });
  deps.securityLog.record("identity_unlinked", caller.userId);
  const user = await deps.users.findById(caller.userId);
  if (user) sendEmail(deps, "identity unlinked notice", identityUnlinkedEmail(deps.config.APP_NAME, user.email, linked.provider));
}
