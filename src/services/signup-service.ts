// Signup: validate what zod cannot (password policy, country, phone, dob), hash, and insert once.
// Duplicates are decided by the unique indexes on the canonical forms, so concurrent signups of
// one name give exactly one account and 400s for the rest, never a 500.
import type { NewUserRow, UserRow } from "../db/schema.ts";
import type { Deps } from "../deps.ts";
import { AppError, addFieldError, appErrorIn, type FieldErrors, validationError } from "../lib/errors.ts";
import { canonicalEmail, canonicalUsername } from "../lib/identifiers.ts";
import { hashPassword, verifyPassword } from "../lib/password-hash.ts";
import { breachedPasswordProblem, lockoutPolicy, nameLock, requireCaptcha } from "./abuse-guards.ts";
import { heldForAnother } from "./email-change-service.ts";
import { hashOptions, passwordProblems } from "./password-policy.ts";
import { type ContactInput, checkDateOfBirth, contactColumns, resolveContact } from "./profile-rules.ts";
import { type PublicUser, publicUser } from "./user-view.ts";

export interface SignupInput extends ContactInput {
  username: string;
  email: string;
  password: string;
  password2: string;
  first_name: string;
  last_name: string;
  gender: number;
  dob?: string | null;
}

export const REFERRAL_ID_LENGTH = 10;
const USERNAME_TAKEN = "This username is already taken.";
const EMAIL_TAKEN = "This email is already registered.";

async function checkInput(input: SignupInput, deps: Pick<Deps, "clock" | "config">, errors: FieldErrors) {
  if (input.password !== input.password2) addFieldError(errors, "password2", "Passwords must match");
  const context = { minLength: deps.config.PASSWORD_MIN_LENGTH, username: input.username, email: input.email };
  for (const problem of passwordProblems(input.password, context)) addFieldError(errors, "password", problem);
  const contact = await resolveContact(input, { countryAlphaCode: null, phoneNumber: null }, errors);
  checkDateOfBirth(input.dob, deps.clock.now(), errors);
  return contactColumns(contact, null);
}

export async function signUp(
  deps: Pick<
    Deps,
    "breaches" | "captcha" | "client" | "clock" | "config" | "ids" | "log" | "logins" | "otps" | "users" | "webhooks"
  >,
  input: SignupInput,
  captchaToken: string | undefined,
): Promise<PublicUser> {
  const errors: FieldErrors = {};
  const contact = await checkInput(input, deps, errors);
  if (Object.keys(errors).length > 0) throw validationError(errors);
  // After the cheap checks, so a typo does not use up the single-use challenge token.
  await requireCaptcha(deps, captchaToken);

  // The breach lookup (a network call, when on) and the address's hold run while the password is hashed.
  const [breached, passwordHash, held] = await Promise.all([
    breachedPasswordProblem(deps, input.password),
    hashPassword(input.password, hashOptions(deps.config)),
    addressHeld(deps, canonicalEmail(input.email)),
  ]);
  if (breached) throw validationError({ password: [breached] });
  if (held) throw validationError({ email: [EMAIL_TAKEN] });
  const now = deps.clock.now();
  const row: NewUserRow & { createdAt: Date; passwordHash: string } = {
    id: deps.ids.uuid(),
    username: input.username,
    usernameCanonical: canonicalUsername(input.username),
    email: input.email,
    emailCanonical: canonicalEmail(input.email),
    passwordHash,
    firstName: input.first_name,
    lastName: input.last_name,
    ...contact,
    gender: input.gender,
    dob: input.dob ?? null,
    referralId: deps.ids.alphanumeric(REFERRAL_ID_LENGTH),
    createdAt: now,
    updatedAt: now,
  };

  // Retry only on the (astronomically rare) referral-id collision.
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await insertOrFindOut(deps, row);
    if (result.inserted) {
      // Other systems hear of it (webhooks); no security event: a signup has no history yet.
      deps.webhooks.emit("user.created", { user_id: row.id });
      return publicUser({ ...NEW_USER_DEFAULTS, ...row, createdAt: now }, now);
    }
    if (result.duplicateKey.includes("referral")) {
      row.referralId = deps.ids.alphanumeric(REFERRAL_ID_LENGTH);
      continue;
    }
    // One read says what clashed, and whether it is this signup's own earlier try.
    const holders = await deps.users.findByEitherName(row.usernameCanonical, row.emailCanonical);
    const earlier = await earlierTryOfThisSignup(deps, row, holders, input.password);
    if (earlier) return publicUser(earlier, now);
    throw validationError(duplicateDetails(row, holders, result.duplicateKey));
  }
  throw new AppError("INTERNAL_ERROR");
}

/**
 * An address an email change freed is held for 7 days for the account that may take it back (its
 * undo). Checked in Redis while the password is hashed, so it adds no latency; when Redis cannot
 * answer, signup goes on without it (the hold guards against squatting, signups must not stop).
 */
async function addressHeld(deps: Pick<Deps, "config" | "log" | "otps">, canonical: string): Promise<boolean> {
  try {
    return await heldForAnother(deps, canonical, undefined);
  } catch (error) {
    deps.log.warn("email_hold_unchecked", { error });
    return false;
  }
}

// How long after a signup its retry still gets the account instead of "taken".
const RETRY_WINDOW_MS = 60 * 60 * 1000;

/**
 * A signup answered 503 may still have been applied (the INSERT committed after its deadline).
 * The same signup retried then finds its own account: both names on one row, created within the
 * hour, and the same password. It gets that account (201), not "taken". Anyone else, without the
 * password, gets "taken" as before. The password check is a guess like a login's: it runs only
 * while the username's sign-in budget has room, and a wrong one is counted there, so signup is no
 * way around that budget.
 */
async function earlierTryOfThisSignup(
  deps: Pick<Deps, "clock" | "config" | "ids" | "logins">,
  row: NewUserRow,
  holders: UserRow[],
  password: string,
) {
  const existing = holders.find(
    (holder) => holder.usernameCanonical === row.usernameCanonical && holder.emailCanonical === row.emailCanonical,
  );
  if (!existing || deps.clock.now().getTime() - existing.createdAt.getTime() > RETRY_WINDOW_MS) return null;
  const budget = await nameLock(deps, existing.usernameCanonical);
  const policy = lockoutPolicy(deps.config);
  const nowMs = deps.clock.now().getTime();
  const gate = await deps.logins.gate({ budget, device: null }, nowMs, policy);
  if (gate.budgetWaitMs > 0) return null;
  const check = await verifyPassword(password, existing.passwordHash, hashOptions(deps.config));
  if (check.valid) return existing;
  await deps.logins.countGuess(budget, nowMs, deps.ids.uuid(), policy);
  return null;
}

/**
 * A timed-out INSERT may still have committed: before answering 503, look for the row by its id
 * (ours alone), so a created account is never reported as failed and retried into "name taken".
 */
async function insertOrFindOut(deps: Pick<Deps, "users">, row: NewUserRow) {
  try {
    return await deps.users.insert(row);
  } catch (error) {
    if (appErrorIn(error)?.code !== "SERVICE_UNAVAILABLE") throw error;
    if (row.id && (await deps.users.findById(row.id).catch(() => null))) return { inserted: true as const };
    throw error;
  }
}

function duplicateDetails(row: NewUserRow, holders: UserRow[], duplicateKey: string): FieldErrors {
  const taken = {
    username: holders.some((holder) => holder.usernameCanonical === row.usernameCanonical),
    email: holders.some((holder) => holder.emailCanonical === row.emailCanonical),
  };
  // The row that blocked us may be gone already; the index name still says which field clashed.
  if (!taken.username && !taken.email) {
    taken.username = duplicateKey.includes("username");
    taken.email = !taken.username;
  }
  const details: FieldErrors = {};
  if (taken.username) addFieldError(details, "username", USERNAME_TAKEN);
  if (taken.email) addFieldError(details, "email", EMAIL_TAKEN);
  return details;
}

/** Column defaults of a freshly inserted row, for building the response without reading it back. */
export const NEW_USER_DEFAULTS = {
  countryAlphaCode: null,
  countryName: null,
  countryPhoneCode: null,
  dob: null,
  userType: 2,
  isEmailVerified: false,
  phoneNumber: null,
  isPhoneNumberVerified: false,
  address: null,
  city: null,
  state: null,
  postalCode: null,
  referralPoints: 0,
  tokensValidAfter: null,
  lastLoginAt: null,
  firstName: "",
  lastName: "",
  gender: 2,
  twoFactorMethods: "",
  totpSecret: null,
  totpPendingSecret: null,
  totpLastStep: 0,
  recoveryCodes: null,
  role: "user",
  disabledAt: null,
  disabledReason: null,
  disabledUntil: null,
};
