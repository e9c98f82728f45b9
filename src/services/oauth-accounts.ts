// Who a provider's identity signs in as. The rules that keep accounts from being taken over:
//   - an identity linked before signs in to its account;
//   - a new identity whose address belongs to an account links to it only when the provider
//     vouches for the address AND the account's own address is verified (whoever registered the
//     address first without proving it, or a provider that does not check addresses, must not get
//     or give access); otherwise ACCOUNT_EXISTS: the owner signs in and links it;
//   - otherwise a new account: no password, the address verified only when the provider vouches,
//     names when given, a username made from the address (unique, with a suffix when taken).
// One MySQL read decides; a new account is one transaction (the user and the identity together).
import type { UserRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { canonicalEmail, canonicalUsername, USERNAME_PATTERN } from "../lib/identifiers.ts";
import type { ProviderIdentity } from "../providers/oauth/id-token.ts";
import { NEW_USER_DEFAULTS, REFERRAL_ID_LENGTH } from "./signup-service.ts";

export type FlowFailure = "ACCOUNT_EXISTS" | "EMAIL_REQUIRED";

export class FlowRefusal extends Error {
  override name = "FlowRefusal";
  readonly code: FlowFailure;

  constructor(code: FlowFailure) {
    super(code);
    this.code = code;
  }
}

type AccountDeps = Pick<Deps, "clock" | "identities" | "ids" | "securityLog" | "webhooks">;

export interface SignInAccount {
  user: UserRow & { hasPasskey: boolean };
  /** The identity row it signs in through. */
  identityId: string;
  /** A new account was made for the identity. */
  created: boolean;
  /** The identity was linked to an existing account just now. */
  linked: boolean;
}

/** A username from the address's local part: allowed characters only, never empty. */
export function usernameFrom(email: string): string {
  const local = email.split("@")[0] ?? "";
  const kept = [...local.normalize("NFKC")].filter((char) => USERNAME_PATTERN.test(char)).join("");
  return (kept || "user").slice(0, 30);
}

/**
 * The account to sign in, and the identity row it signs in through. A write that collides with a
 * concurrent sign-in of the same identity or address decides once more from what is there now;
 * a second collision is refused (ACCOUNT_EXISTS), never a loop.
 */
export async function accountFor(
  deps: AccountDeps,
  provider: string,
  identity: ProviderIdentity,
  decided = 0,
): Promise<SignInAccount> {
  const address = identity.email === null ? null : canonicalEmail(identity.email);
  const found = await deps.identities.findSignInCandidates(provider, identity.subject, address);
  if (found.linked) return { user: found.linked.user, identityId: found.linked.identityId, created: false, linked: false };
  const again = () => {
    if (decided > 0) throw new FlowRefusal("ACCOUNT_EXISTS");
    return accountFor(deps, provider, identity, decided + 1);
  };
  if (found.byEmail) {
    const holder = found.byEmail;
    if (!identity.emailVerified || !holder.isEmailVerified || holder.emailCanonical !== address)
      throw new FlowRefusal("ACCOUNT_EXISTS");
    const identityId = deps.ids.uuid();
    // Taken: a concurrent sign-in of the same identity linked it first (to this account or another).
    if ((await deps.identities.link(identityRow(deps, identityId, holder.id, provider, identity))) === "taken") return again();
    deps.securityLog.record("identity_linked", holder.id);
    return { user: holder, identityId, created: false, linked: true };
  }
  if (identity.email === null || address === null) throw new FlowRefusal("EMAIL_REQUIRED");
  return createAccount(deps, provider, identity, identity.email, address, again);
}

function identityRow(deps: Pick<Deps, "clock">, id: string, userId: string, provider: string, identity: ProviderIdentity) {
  return {
    id,
    userId,
    provider,
    subject: identity.subject,
    email: identity.email,
    emailVerified: identity.emailVerified,
    createdAt: deps.clock.now(),
    lastUsedAt: deps.clock.now(),
  };
}

async function createAccount(
  deps: AccountDeps,
  provider: string,
  identity: ProviderIdentity,
  email: string,
  address: string,
  again: () => Promise<SignInAccount>,
): Promise<SignInAccount> {
  const now = deps.clock.now();
  const base = usernameFrom(email);
  const user = {
    id: deps.ids.uuid(),
    username: base,
    usernameCanonical: canonicalUsername(base),
    email,
    emailCanonical: address,
    passwordHash: null,
    firstName: identity.givenName ?? "",
    lastName: identity.familyName ?? "",
    isEmailVerified: identity.emailVerified,
    referralId: deps.ids.alphanumeric(REFERRAL_ID_LENGTH),
    createdAt: now,
    updatedAt: now,
  };
  const identityId = deps.ids.uuid();
  for (let attempt = 0; attempt < 4; attempt++) {
    const result = await deps.identities.createUserWithIdentity(user, identityRow(deps, identityId, user.id, provider, identity));
    if (result.created) {
      deps.webhooks.emit("user.created", { user_id: user.id });
      deps.securityLog.record("identity_linked", user.id);
      return {
        user: { ...NEW_USER_DEFAULTS, ...user, hasPasskey: false },
        identityId,
        created: true,
        linked: false,
      };
    }
    if (result.duplicateKey.includes("username")) {
      user.username = `${base.slice(0, 24)}${deps.ids.alphanumeric(6).toLowerCase()}`;
      user.usernameCanonical = canonicalUsername(user.username);
    } else if (result.duplicateKey.includes("referral")) {
      user.referralId = deps.ids.alphanumeric(REFERRAL_ID_LENGTH);
    } else {
      // The address or the identity was taken by a concurrent sign-in: decide again from what is there now.
      return again();
    }
  }
  throw new FlowRefusal("ACCOUNT_EXISTS");
}
