// What a sign-in-with ends in: the app's exchange of the flow's one-time code, or a native app's
// ID token (Google's and Apple's SDKs sign in on the device and hand the app an ID token). Either
// way a session, or, for an account with two-factor authentication, the second step: a provider
// sign-in is one factor (the provider's account may be protected by a password alone, and this
// service cannot see how it was proven), so it stands where a password stands.
// One MySQL read (the user) and one Redis script (the code or token spent, the session or the
// challenge opened: a code opens at most one, however many requests race with it).

import type { Deps } from "../deps.ts";
import { refuseDisabled } from "../lib/account-status.ts";
import { AppError, invalidTokenError } from "../lib/errors.ts";
import { flowCodeKey, type OpenedFlowCode, openFlowCode } from "../lib/flow-codes.ts";
import { digestHex } from "../lib/hex.ts";
import { canonicalEmail } from "../lib/identifiers.ts";
import { parseMethods } from "../lib/two-factor.ts";
import { pkceChallenge } from "../providers/oauth/client.ts";
import { ProviderError } from "../providers/oauth/errors.ts";
import { verifyIdToken } from "../providers/oauth/id-token.ts";
import { sendEmail } from "./delivery.ts";
import { identityView } from "./identity-service.ts";
import { identityLinkedEmail } from "./messages.ts";
import { recordSignIn, type SignInRecordDeps } from "./new-device.ts";
import { accountFor, FlowRefusal } from "./oauth-accounts.ts";
import { providerEndpoints, providerNamed } from "./oauth-flow.ts";
import type { SignedIn } from "./reauthentication.ts";
import { prepareChallenge, type SecondFactorRequired } from "./second-factor.ts";
import { prepareSession, type TokenPair } from "./token-pair.ts";

type SignInDeps = SignInRecordDeps &
  Pick<Deps, "background" | "client" | "clock" | "config" | "identities" | "ids" | "oauth" | "securityLog" | "tokens" | "users">;
type ExchangeDeps = SignInDeps & Pick<Deps, "deliveryQueue" | "log" | "mailer" | "sms" | "webhooks">;

const invalidCode = () => new AppError("OAUTH_CODE_INVALID", { message: "the code is invalid, used or expired" });

/** Signs the user in, spending `spentId` in the same script; a second use gets `refused`. */
async function signInOnce(
  deps: SignInDeps,
  userId: string,
  spent: { id: string; ttlMs: number },
  refused: () => AppError,
): Promise<TokenPair | SecondFactorRequired> {
  const user = await deps.users.findToSignIn(userId);
  if (!user) throw refused();
  refuseDisabled(user, deps.clock.now());
  if (parseMethods(user.twoFactorMethods).length > 0) {
    const challenge = await prepareChallenge(deps, user, null);
    if ((await deps.oauth.openChallenge(spent.id, spent.ttlMs, challenge.stored)) === "used") throw refused();
    return challenge.answer;
  }
  const session = prepareSession(deps, user);
  const outcome = await deps.oauth.signIn(spent.id, spent.ttlMs, session.record);
  if (outcome === "used") throw refused();
  // A logout-all or credential change since the user was read: it wins.
  if (outcome === "stale") throw invalidTokenError();
  const tokens = await session.sign();
  recordSignIn(deps, user, outcome === "ok-new-device");
  const at = deps.clock.now();
  deps.background("recording the login", () => deps.users.recordLogin(user.id, at));
  return tokens;
}

/** A spent code is remembered until it would have expired anyway (and a minute of clock leeway). */
const spentFor = (deps: Pick<Deps, "clock">, id: string, expiresAtMs: number) => ({
  id,
  ttlMs: Math.max(1000, expiresAtMs - deps.clock.now().getTime() + 60_000),
});

async function openCode(deps: Pick<Deps, "clock" | "config">, code: string, verifier: string) {
  const opened = await openFlowCode(await flowCodeKey(deps.config.JWT_PRIVATE_KEY), code, deps.clock.now());
  if (!opened) throw invalidCode();
  // The app's PKCE: only the app instance that started the flow holds the verifier.
  if (!opened.appChallenge || (await pkceChallenge(verifier)) !== opened.appChallenge) throw invalidCode();
  return opened;
}

/** Exchanges a flow's one-time code: tokens or the second step for a sign-in; the linked identity for a link. */
export async function exchangeFlowCode(
  deps: ExchangeDeps,
  input: { code: string; codeVerifier: string },
  caller: SignedIn | null,
) {
  const opened = await openCode(deps, input.code, input.codeVerifier);
  const spent = spentFor(deps, opened.id, opened.expiresAtMs);
  if (opened.kind === "sign-in") return signInOnce(deps, opened.userId, spent, invalidCode);
  return { identity: await completeLink(deps, opened, caller, spent) };
}

/** A link's code is only taken with the token of the user who asked for the link (not another's, not none). */
async function completeLink(
  deps: ExchangeDeps,
  opened: Extract<OpenedFlowCode, { kind: "link" }>,
  caller: SignedIn | null,
  spent: { id: string; ttlMs: number },
) {
  if (!caller || caller.userId !== opened.userId) throw invalidCode();
  if (!(await deps.oauth.spend(spent.id, spent.ttlMs))) throw invalidCode();
  const { identity } = opened;
  const now = deps.clock.now();
  const row = {
    id: deps.ids.uuid(),
    userId: caller.userId,
    provider: identity.provider,
    subject: identity.subject,
    email: identity.email,
    emailVerified: identity.emailVerified,
    createdAt: now,
    lastUsedAt: null,
  };
  if ((await deps.identities.link(row)) === "taken") {
    const owner = await deps.identities.findOwner(identity.provider, identity.subject);
    if (owner !== caller.userId) throw new AppError("IDENTITY_IN_USE", { message: "this identity signs in to another account" });
    const existing = (await deps.identities.list(caller.userId)).find(
      (candidate) => candidate.provider === identity.provider && candidate.subject === identity.subject,
    );
    if (existing) return identityView(existing);
  }
  deps.securityLog.record("identity_linked", caller.userId);
  const user = await deps.users.findById(caller.userId);
  const providerName = deps.config.OAUTH.providers.find((candidate) => candidate.id === identity.provider)?.name;
  const notice = (to: string) =>
    sendEmail(deps, "identity linked notice", identityLinkedEmail(deps.config.APP_NAME, to, providerName ?? identity.provider));
  if (user) notice(user.email);
  // The provider account's own address hears of it too: a link its owner did not make (someone
  // walked them through another account's link) is then noticed by the one it affects.
  if (identity.email && identity.emailVerified && canonicalEmail(identity.email) !== user?.emailCanonical) notice(identity.email);
  return identityView(row);
}

/**
 * A native app's ID token: verified against the provider's keys and every client id configured for
 * it (web, iOS, Android). The nonce the app sent to the SDK is checked as sent, or as its SHA-256
 * (Apple's SDK puts the hash in the token). Each token signs in once.
 */
export async function signInWithIdToken(
  deps: ExchangeDeps,
  providerId: string,
  input: { idToken: string; nonce: string | undefined },
) {
  const provider = providerNamed(deps, providerId);
  if (provider.kind === "github") throw new AppError("NOT_FOUND", { message: "this provider issues no ID tokens" });
  const refused = () => new AppError("INVALID_CREDENTIALS", { message: "the ID token was not accepted" });
  const nonce = input.nonce;
  let verified: Awaited<ReturnType<typeof verifyIdToken>>;
  try {
    verified = await verifyIdToken(await providerEndpoints(deps, provider), input.idToken, {
      audiences: provider.audiences,
      nonce: async (claim) =>
        nonce === undefined ? claim === undefined : claim === nonce || claim === (await digestHex("SHA-256", nonce)),
      now: deps.clock.now(),
    });
  } catch (error) {
    if (error instanceof ProviderError && error.failure === "unavailable")
      throw new AppError("SERVICE_UNAVAILABLE", { message: "the sign-in provider is not answering", cause: error });
    if (error instanceof ProviderError) throw refused();
    throw error;
  }
  let account: Awaited<ReturnType<typeof accountFor>>;
  try {
    account = await accountFor(deps, provider.id, verified.identity);
  } catch (error) {
    if (error instanceof FlowRefusal && error.code === "ACCOUNT_EXISTS")
      throw new AppError("ACCOUNT_EXISTS", { message: "an account has this address: sign in to it, then link this provider" });
    if (error instanceof FlowRefusal)
      throw new AppError("VALIDATION_ERROR", { details: { id_token: ["The provider shared no email address."] } });
    throw error;
  }
  if (account.linked)
    sendEmail(deps, "identity linked notice", identityLinkedEmail(deps.config.APP_NAME, account.user.email, provider.name));
  const expiresAtMs = Number(verified.claims.exp) * 1000;
  // Spent by what was signed (header and payload): a signature has other encodings that verify
  // too (spare bits in its last base64url character, an ECDSA (r, n-s)), the signed part has one.
  const signedPart = input.idToken.split(".").slice(0, 2).join(".");
  return signInOnce(deps, account.user.id, spentFor(deps, await digestHex("SHA-256", signedPart), expiresAtMs), refused);
}
