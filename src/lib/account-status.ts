// Whether an account may sign in. A disabled account answers 403 ACCOUNT_DISABLED, and only after
// its credentials proved right: a wrong password still gets the usual 401, so disabling an account
// tells a guesser nothing.
import { AppError } from "./errors.ts";

export interface AccountStatus {
  disabledAt: Date | null;
  disabledUntil: Date | null;
}

/** Disabled now: since disabled_at, and until disabled_until when one was given. */
export const isDisabled = (user: AccountStatus, now: Date) =>
  user.disabledAt !== null && (user.disabledUntil === null || user.disabledUntil.getTime() > now.getTime());

export const accountDisabled = () => new AppError("ACCOUNT_DISABLED", { message: "this account is disabled" });

/** Refuses a disabled account (call once its credentials proved right). */
export function refuseDisabled(user: AccountStatus, now: Date): void {
  if (isDisabled(user, now)) throw accountDisabled();
}
