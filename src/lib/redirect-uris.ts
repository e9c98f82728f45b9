// Where a "sign in with" flow may send the browser back to: only an app URL on the operator's
// list (OAUTH_REDIRECT_URIS), or the service would be an open redirect handing one-time codes to
// whoever asked. Matching is exact, on the URL as written: it must already be in its canonical
// form (what the URL parser would print), so no spelling trick (`//evil`, `app.example.com.evil.com`,
// `user@host`, backslashes, `..`, upper case, default ports, percent-encoded dots) can make a
// different URL compare equal. In development only, a list entry may end in `*` after a path
// (`http://localhost:3000/*`): any path under it on that exact origin.

export type RedirectPolicy = { allowed: string[]; wildcards: boolean };

/** The canonical form of an absolute http(s) URL without credentials or fragment, or null. */
function canonical(raw: string): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  if (url.username || url.password || url.hash || raw.includes("\\")) return null;
  return url.href === raw ? url : null;
}

/** Whether `candidate` may be redirected to under `policy`. */
export function isAllowedRedirect(candidate: string, policy: RedirectPolicy): boolean {
  const url = canonical(candidate);
  if (!url) return false;
  return policy.allowed.some((entry) => {
    if (!entry.endsWith("*")) return entry === candidate;
    if (!policy.wildcards) return false;
    const prefix = canonical(entry.slice(0, -1));
    return prefix?.pathname.endsWith("/") && url.origin === prefix.origin && url.pathname.startsWith(prefix.pathname);
  });
}

/** A list entry's problem, or null: used when the configuration is read. */
export function redirectEntryProblem(entry: string, wildcards: boolean): string | null {
  if (entry.endsWith("*")) {
    if (!wildcards) return "a trailing * is allowed in development only";
    const prefix = canonical(entry.slice(0, -1));
    return prefix?.pathname.endsWith("/") && !prefix.search ? null : "a * may only follow a path ending in /";
  }
  return canonical(entry) ? null : "must be an absolute http(s) URL in canonical form, without credentials or fragment";
}
