// "Sign in with" settings. Providers are named in OAUTH_PROVIDERS; each one's settings are
// variables with its name inside (OAUTH_GOOGLE_CLIENT_ID), so they are read from the bindings by
// name here rather than listed in the config schema. The known names (google, apple, microsoft,
// github) get their endpoints built in; any other name is a generic OpenID Connect provider found
// from its issuer (discovery). `dev` is the local OpenID provider: development and tests only.
import { type RedirectPolicy, redirectEntryProblem } from "./lib/redirect-uris.ts";

export type OAuthKind = "google" | "apple" | "microsoft" | "github" | "oidc";

export interface OAuthProviderConfig {
  id: string;
  kind: OAuthKind;
  /** What a sign-in button says. */
  name: string;
  /** The web client's id: the redirect flow's client, and the first accepted ID token audience. */
  clientId: string;
  /** Every audience accepted for an ID token: the web client and the native apps' ids. */
  audiences: string[];
  clientSecret: string | undefined;
  /** oidc: the issuer (discovery); microsoft: the tenant's; others: built in. */
  issuer: string;
  /** github: https://github.com or a GitHub Enterprise Server's URL. */
  baseUrl: string;
  /** microsoft: "common", "organizations", "consumers" or a tenant id (lower case). */
  tenant: string;
  apple: { teamId: string; keyId: string; privateKey: string } | undefined;
}

export interface OAuthSettings {
  providers: OAuthProviderConfig[];
  redirects: RedirectPolicy;
}

export interface ConfigProblem {
  variable: string;
  problem: string;
}

const KNOWN: Record<string, { kind: OAuthKind; name: string }> = {
  google: { kind: "google", name: "Google" },
  apple: { kind: "apple", name: "Apple" },
  microsoft: { kind: "microsoft", name: "Microsoft" },
  github: { kind: "github", name: "GitHub" },
};

const PROVIDER_ID = /^[a-z][a-z0-9]{1,31}$/;
const list = (text: string | undefined) =>
  (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

function httpsUrl(text: string, allowHttp: boolean): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || (allowHttp && url.protocol === "http:");
  } catch {
    return false;
  }
}

/** Reads the providers and the redirect allowlist; problems name variables, never values. */
export function readOAuthSettings(
  vars: Record<string, string>,
  environment: string,
): { settings: OAuthSettings; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const local = environment === "development" || environment === "test";
  const problem = (variable: string, text: string) => problems.push({ variable, problem: text });

  const redirects: RedirectPolicy = { allowed: list(vars.OAUTH_REDIRECT_URIS), wildcards: local };
  for (const entry of redirects.allowed) {
    const text = redirectEntryProblem(entry, local);
    if (text) problem("OAUTH_REDIRECT_URIS", `${JSON.stringify(entry.slice(0, 80))}: ${text}`);
  }

  const providers: OAuthProviderConfig[] = [];
  for (const id of new Set(list(vars.OAUTH_PROVIDERS).map((name) => name.toLowerCase()))) {
    if (!PROVIDER_ID.test(id)) {
      problem("OAUTH_PROVIDERS", "provider names are 2-32 lowercase letters and digits");
      continue;
    }
    if (id === "dev" && !local) {
      problem("OAUTH_PROVIDERS", "the dev provider is for development and tests only");
      continue;
    }
    const prefix = `OAUTH_${id.toUpperCase()}_`;
    const get = (name: string) => vars[prefix + name]?.trim() || undefined;
    const known = KNOWN[id];
    const kind = known?.kind ?? "oidc";
    const clientId = get("CLIENT_ID");
    if (!clientId) problem(`${prefix}CLIENT_ID`, "required for each provider in OAUTH_PROVIDERS");
    const clientSecret = get("CLIENT_SECRET");
    if (!clientSecret && kind !== "apple") problem(`${prefix}CLIENT_SECRET`, "required for each provider in OAUTH_PROVIDERS");
    const issuer = kind === "oidc" ? get("ISSUER") : undefined;
    if (kind === "oidc" && (!issuer || !httpsUrl(issuer, local)))
      problem(`${prefix}ISSUER`, "required: the provider's issuer URL (https)");
    const baseUrl = get("BASE_URL") ?? "https://github.com";
    if (kind === "github" && !httpsUrl(baseUrl, local)) problem(`${prefix}BASE_URL`, "must be an https URL");
    const tenant = (get("TENANT") ?? "common").toLowerCase();
    // A tenant id, not a domain name: the issuer check compares ids (a name would let any tenant in).
    if (
      kind === "microsoft" &&
      !/^(common|organizations|consumers|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.test(tenant)
    )
      problem(`${prefix}TENANT`, "must be common, organizations, consumers or a tenant id (a GUID)");
    let apple: OAuthProviderConfig["apple"];
    if (kind === "apple") {
      const [teamId, keyId, privateKey] = [get("TEAM_ID"), get("KEY_ID"), get("PRIVATE_KEY")];
      for (const [name, value] of [
        ["TEAM_ID", teamId],
        ["KEY_ID", keyId],
        ["PRIVATE_KEY", privateKey],
      ] as const)
        if (!value) problem(prefix + name, "required for Sign in with Apple");
      if (privateKey && !privateKey.includes("PRIVATE KEY")) problem(`${prefix}PRIVATE_KEY`, "must be the .p8 key (PEM)");
      if (teamId && keyId && privateKey) apple = { teamId, keyId, privateKey };
    }
    if (!clientId) continue;
    providers.push({
      id,
      kind,
      name: get("NAME") ?? known?.name ?? id,
      clientId,
      audiences: [clientId, ...list(get("CLIENT_IDS")).filter((extra) => extra !== clientId)],
      clientSecret,
      // Exactly as configured: it is compared exactly with the discovery document's and the tokens'.
      issuer: issuer ?? "",
      baseUrl: baseUrl.replace(/\/$/, ""),
      tenant,
      apple,
    });
  }
  // Without an allowlist no flow could end anywhere: outside development that is a misconfiguration.
  if (providers.length > 0 && redirects.allowed.length === 0 && !local)
    problem("OAUTH_REDIRECT_URIS", "required with OAUTH_PROVIDERS: the app URLs a sign-in may return to");
  return { settings: { providers, redirects }, problems };
}
