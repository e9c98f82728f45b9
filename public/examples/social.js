// "Sign in with" from a single-page app: the browser goes to the API's /start/ with this page as
// the redirect_uri and a PKCE challenge of the page's own; the provider sends it back here with
// ?code=, which the page exchanges (with its verifier) for tokens. Tokens stay in memory.
const $ = (id) => document.getElementById(id);
const here = `${location.origin}${location.pathname}`;
let session = null;

function show(message, isError = false) {
  $("status").textContent = message;
  $("status").className = isError ? "error" : "";
}

async function call(method, path, body) {
  const headers = { "content-type": "application/json" };
  if (session) headers.authorization = `Bearer ${session.access}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const envelope = await response.json();
  if (!envelope.success) throw new Error(`${envelope.message} (${envelope.error?.code})`);
  return envelope.data;
}

const base64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

async function pkce() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return { verifier, challenge: base64url(digest) };
}

async function start(provider) {
  const { verifier, challenge } = await pkce();
  // Kept for the page's return only (this tab), then removed.
  sessionStorage.setItem("pkce_verifier", verifier);
  const query = new URLSearchParams({ redirect_uri: here, code_challenge: challenge });
  location.assign(`/auth/oauth/${encodeURIComponent(provider)}/start/?${query}`);
}

async function listProviders() {
  const { providers } = await call("GET", "/auth/oauth/providers/");
  $("providers").replaceChildren(
    ...providers.map((provider) => {
      const button = document.createElement("button");
      button.type = "button";
      button.id = `provider-${provider.id}`;
      button.textContent = `Sign in with ${provider.name}`;
      button.addEventListener("click", () => start(provider.id).catch((error) => show(error.message, true)));
      return button;
    }),
  );
  if (providers.length === 0) $("providers").textContent = "No provider is enabled (OAUTH_PROVIDERS).";
}

async function signedIn(tokens) {
  session = tokens;
  const me = await call("POST", "/auth/jwt/check/");
  $("who").textContent = me.username;
  $("email").textContent = me.email;
  const { identities } = await call("GET", "/auth/identities/");
  $("identities").replaceChildren(
    ...identities.map((identity) => {
      const item = document.createElement("li");
      item.textContent = `${identity.provider}: ${identity.email ?? "(no address)"}${identity.email_verified ? " (verified)" : ""}`;
      return item;
    }),
  );
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
}

async function finish(params) {
  // The code is in this page's URL: take it out of the address bar and history at once.
  history.replaceState(null, "", here);
  if (params.has("error")) throw new Error(`The sign-in did not complete: ${params.get("error")}`);
  const verifier = sessionStorage.getItem("pkce_verifier") ?? undefined;
  sessionStorage.removeItem("pkce_verifier");
  const answer = await call("POST", "/auth/oauth/exchange/", { code: params.get("code"), code_verifier: verifier });
  if (answer.mfa_required) throw new Error("This account has two-factor authentication on: finish at /auth/secure/2fa/verify/.");
  await signedIn(answer);
  show("Signed in.");
}

$("logout").addEventListener("click", async () => {
  await call("POST", "/auth/user/logout/", { refresh: session.refresh }).catch(() => undefined);
  session = null;
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
  show("Signed out.");
});

const params = new URLSearchParams(location.search);
(params.has("code") || params.has("error") ? finish(params) : Promise.resolve())
  .then(listProviders)
  .catch((error) => {
    show(error.message, true);
    listProviders().catch(() => undefined);
  });
