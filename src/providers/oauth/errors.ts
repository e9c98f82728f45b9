// What can go wrong at a provider, in the terms the sign-in-with flows answer with.

/** denied: the user said no at the provider; failed: it answered, but not acceptably; unavailable: no answer in time. */
export type ProviderFailure = "denied" | "failed" | "unavailable";

export class ProviderError extends Error {
  override name = "ProviderError";
  readonly failure: ProviderFailure;

  constructor(failure: ProviderFailure, detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.failure = failure;
  }
}

export const PROVIDER_TIMEOUT_MS = 5000;

/** A fetch with a deadline; no answer in time, or none at all, is `unavailable`. */
export async function providerFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(input, { ...init, redirect: "manual", signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) });
  } catch (error) {
    throw new ProviderError("unavailable", error instanceof Error ? error.name : "fetch failed", { cause: error });
  }
}
