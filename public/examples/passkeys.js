// The passkeys demo: the API's own endpoints, called from this origin. The tokens stay in memory
// (a page reload signs out): a real app keeps the refresh token where its platform advises.
const { startRegistration, startAuthentication } = window.SimpleWebAuthnBrowser;
const $ = (id) => document.getElementById(id);
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
  if (!envelope.success) {
    const details = envelope.error?.details ? ` ${JSON.stringify(envelope.error.details)}` : "";
    throw new Error(`${envelope.message} (${envelope.error?.code})${details}`);
  }
  return envelope.data;
}

async function signedIn(tokens) {
  session = tokens;
  const me = await call("POST", "/auth/jwt/check/");
  $("who").textContent = me.username;
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  await listPasskeys();
}

async function listPasskeys() {
  const { passkeys } = await call("GET", "/auth/passkeys/");
  const list = $("passkeys");
  list.replaceChildren(
    ...passkeys.map((passkey) => {
      const item = document.createElement("li");
      item.dataset.id = passkey.id;
      item.textContent = `${passkey.name} · added ${new Date(passkey.created_at).toLocaleString()} `;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Delete";
      remove.addEventListener("click", () => run(async () => {
        await call("DELETE", `/auth/passkeys/${passkey.id}/`);
        await listPasskeys();
        show("Passkey deleted.");
      }));
      item.append(remove);
      return item;
    }),
  );
  if (passkeys.length === 0) list.textContent = "None yet.";
}

async function run(work) {
  try {
    await work();
  } catch (error) {
    show(error.message, true);
  }
}

$("password-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const username = form.get("username");
  const password = form.get("password");
  run(async () => {
    if (event.submitter?.value === "signup") {
      await call("POST", "/auth/user/signup/", { username, email: form.get("email"), password, password2: password });
    }
    const tokens = await call("POST", "/auth/user/login/", { username, password });
    if (tokens.mfa_required) throw new Error("This account has two-factor authentication on: use a passkey, or the API.");
    await signedIn(tokens);
    show("Signed in with the password.");
  });
});

$("add-passkey").addEventListener("click", () => run(async () => {
  const optionsJSON = await call("POST", "/auth/passkeys/register/options/", {});
  const response = await startRegistration({ optionsJSON });
  await call("POST", "/auth/passkeys/register/verify/", { response, name: "Demo passkey" });
  await listPasskeys();
  show("Passkey added.");
}));

$("passkey-login").addEventListener("click", () => run(async () => {
  const optionsJSON = await call("POST", "/auth/passkeys/login/options/", {});
  const response = await startAuthentication({ optionsJSON });
  await signedIn(await call("POST", "/auth/passkeys/login/verify/", { response }));
  show("Signed in with a passkey.");
}));

$("logout").addEventListener("click", () => run(async () => {
  await call("POST", "/auth/user/logout/", { refresh: session.refresh });
  session = null;
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
  show("Signed out.");
}));
