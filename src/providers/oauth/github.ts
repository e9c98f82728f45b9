// GitHub's OAuth apps issue no ID token: who signed in is the API's /user (the numeric id is the
// stable subject; logins can be renamed), and the address is the primary one from /user/emails,
// vouched for only when GitHub marks it verified.
import { ProviderError, providerFetch } from "./errors.ts";
import type { ProviderIdentity } from "./id-token.ts";

async function getJson(url: string, accessToken: string): Promise<unknown> {
  const response = await providerFetch(url, {
    headers: {
      accept: "application/vnd.github+json",
      authorization: `Bearer ${accessToken}`,
      "user-agent": "loginsystem-edge",
      "x-github-api-version": "2022-11-28",
    },
  });
  if (response.status >= 500) throw new ProviderError("unavailable", `GitHub API HTTP ${response.status}`);
  if (!response.ok) throw new ProviderError("failed", `GitHub API HTTP ${response.status}`);
  return response.json().catch(() => {
    throw new ProviderError("failed", "GitHub API answered no JSON");
  });
}

export async function githubIdentity(api: string, accessToken: string): Promise<ProviderIdentity> {
  const [user, emails] = await Promise.all([getJson(`${api}/user`, accessToken), getJson(`${api}/user/emails`, accessToken)]);
  const id = (user as { id?: unknown }).id;
  if (typeof id !== "number" && typeof id !== "string") throw new ProviderError("failed", "GitHub user without an id");
  const primary = Array.isArray(emails)
    ? (emails as { email?: unknown; primary?: unknown; verified?: unknown }[]).find((entry) => entry.primary === true)
    : undefined;
  const email = typeof primary?.email === "string" && primary.email.includes("@") ? primary.email.slice(0, 254) : null;
  const name = typeof (user as { name?: unknown }).name === "string" ? String((user as { name: string }).name).trim() : "";
  const [givenName = "", ...rest] = name.split(/\s+/);
  return {
    subject: String(id),
    email,
    emailVerified: email !== null && primary?.verified === true,
    givenName: givenName.slice(0, 100) || null,
    familyName: rest.join(" ").slice(0, 100) || null,
  };
}
