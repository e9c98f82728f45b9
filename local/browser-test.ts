// npm run test:browser -- against a fresh `npm run dev`: validates /openapi.json as OpenAPI 3.1,
// then opens /docs in Debian's Chromium (through playwright-core, no downloaded browser) with
// every request that is not to the local origin blocked, and checks the page works offline: every
// path of /openapi.json is listed, one real request goes out from the page and gets its answer,
// and nothing breaks the page's CSP. Then the passkeys demo (/examples/passkeys.html, at
// http://localhost:PORT: an IP literal cannot be a WebAuthn RP ID) with a CDP virtual
// authenticator (ctap2, internal, resident keys, user verification): sign up with a password, add
// a passkey, sign out, sign in with the passkey alone (usernameless), check its token with
// /auth/jwt/check/, delete the passkey. Then the sign-in-with demo (/examples/social.html): the dev
// OpenID provider's button, its form, back to the page with a code it exchanges (with its own
// PKCE), signed in. Screenshots go to .local/browser/. Exits non-zero on any failure.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { chromium, type Page } from "playwright-core";
import { findBinary, freePort } from "./processes.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = `${root}.local/browser`;
const browserPath = process.env.CHROMIUM_PATH ?? findBinary("chromium", "chromium-browser", "google-chrome");
if (!browserPath) {
  console.error("No Chromium found: install Debian's `chromium` (apt-get install chromium) or set CHROMIUM_PATH.");
  process.exit(2);
}

function startDev(port: number): ChildProcess {
  mkdirSync(outDir, { recursive: true });
  return spawn(process.execPath, ["--require", "./local/check-node.cjs", "local/dev.ts"], {
    cwd: root,
    detached: true,
    stdio: "ignore",
    env: { ...process.env, PORT: String(port) },
  });
}

async function waitForHealth(base: string): Promise<void> {
  for (let attempt = 0; attempt < 240; attempt++) {
    const health = await fetch(`${base}/health`).catch(() => null);
    if (health?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${base}/health never answered 200`);
}

const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? "✓" : "✗"} ${what}`);
  if (!ok) failures.push(what);
};

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const localhost = `http://localhost:${port}`;
const dev = startDev(port);
const profile = mkdtempSync(`${tmpdir()}/docs-browser-`);
try {
  await waitForHealth(base);
  const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: object };
  const documented = Object.keys(openapi.paths);
  // The document against the OpenAPI 3.1 JSON schema (Node only: the validator compiles code).
  const validator = new Validator();
  const validation = await validator.validate(openapi);
  check(
    validation.valid && validator.version === "3.1",
    `/openapi.json validates as OpenAPI ${validator.version}${validation.valid ? "" : `: ${JSON.stringify(validation.errors).slice(0, 500)}`}`,
  );

  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  const blocked: string[] = [];
  await context.route("**/*", (route) => {
    // This machine only: the dev server, and the dev OpenID provider on its own port.
    const { origin, hostname } = new URL(route.request().url());
    if ([base, localhost].includes(origin) || (hostname === "127.0.0.1" && origin.startsWith("http://"))) return route.continue();
    blocked.push(route.request().url());
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));

  await page.goto(`${base}/docs`);
  await page.waitForSelector(".opblock", { timeout: 30_000 });
  const listed = await page.$$eval(".opblock-summary-path", (elements) =>
    elements.map((element) => element.getAttribute("data-path")),
  );
  const missing = documented.filter((path) => !listed.includes(path));
  check(
    missing.length === 0,
    `every path of /openapi.json is listed (${documented.length} paths${missing.length ? `; missing ${missing.join(", ")}` : ""})`,
  );

  // One real request from the page: GET /health, through "Try it out" and "Execute".
  const health = page.locator(".opblock-get", { has: page.locator('.opblock-summary-path[data-path="/health"]') });
  await health.locator(".opblock-summary").click();
  await health.locator(".try-out__btn").click();
  await health.locator(".execute").click();
  const status = health.locator(".live-responses-table tbody .response-col_status").first();
  await status.waitFor({ timeout: 15_000 });
  const answered = (await status.textContent())?.trim() ?? "";
  check(answered.startsWith("200"), `GET /health sent from the page answered ${answered}`);

  await page.screenshot({ path: `${outDir}/docs.png`, fullPage: false });
  console.log(`screenshot: ${outDir}/docs.png`);
  await passkeysDemo(page);
  await socialDemo(page);
  check(blocked.length === 0, `no request left the local origin${blocked.length ? ` (blocked: ${blocked.join(", ")})` : ""}`);
  check(problems.length === 0, `no console errors or CSP violations${problems.length ? `: ${problems.join(" | ")}` : ""}`);
  await context.close();
} catch (error) {
  failures.push(String(error));
  console.error(error);
} finally {
  if (dev.pid) process.kill(-dev.pid, "SIGTERM");
  rmSync(profile, { recursive: true, force: true });
}
/** The passkeys demo page, driven as a person would, with a virtual authenticator. */
async function passkeysDemo(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: { protocol: "ctap2", transport: "internal", hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  const status = page.locator("#status");
  const username = `demo_${Date.now().toString(36)}`;
  await page.goto(`${localhost}/examples/passkeys.html`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="email"]', `${username}@example.com`);
  await page.fill('input[name="password"]', "Demo-passphrase-42");
  await page.click("#signup");
  await page.locator("#signed-in").waitFor({ timeout: 15_000 });
  check((await page.textContent("#who")) === username, "signed up and in with a password on the demo page");

  await page.click("#add-passkey");
  await page.locator("#passkeys li").first().waitFor({ timeout: 15_000 });
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  check(
    credentials.length === 1 && credentials[0]?.isResidentCredential === true && credentials[0]?.rpId === "localhost",
    `a discoverable passkey for RP ID localhost is in the authenticator (${credentials.length})`,
  );

  await page.click("#logout");
  await page.locator("#signed-out").waitFor();
  const verified = page.waitForResponse((response) => response.url().endsWith("/auth/passkeys/login/verify/"));
  await page.click("#passkey-login");
  const answer = (await (await verified).json()) as { success: boolean; data?: { access?: string } };
  await page.locator("#signed-in").waitFor({ timeout: 15_000 });
  check(
    answer.success && (await page.textContent("#who")) === username,
    "signed in again with the passkey alone (no username typed)",
  );
  const tokenCheck = await fetch(`${localhost}/auth/jwt/check/`, {
    method: "POST",
    headers: { authorization: `Bearer ${answer.data?.access ?? ""}` },
  });
  const claims = (await tokenCheck.json()) as { data?: { username?: string } };
  check(
    tokenCheck.status === 200 && claims.data?.username === username,
    `the passkey's access token passes /auth/jwt/check/ (${tokenCheck.status})`,
  );
  await page.screenshot({ path: `${outDir}/passkeys.png`, fullPage: true });
  console.log(`screenshot: ${outDir}/passkeys.png`);

  await page.click("#passkeys li button");
  await page.locator("#passkeys", { hasText: "None yet." }).waitFor({ timeout: 15_000 });
  check((await status.textContent()) === "Passkey deleted.", "the passkey was deleted from the demo page");
}

/** The sign-in-with demo: the dev OpenID provider's button, its form, back to the page, signed in. */
async function socialDemo(page: Page): Promise<void> {
  const address = `social.${Date.now().toString(36)}@example.com`;
  await page.goto(`${localhost}/examples/social.html`);
  await page.click("#provider-dev");
  // The provider's own page (another origin): one form, an address and "email verified".
  await page.waitForSelector('input[name="email"]', { timeout: 15_000 });
  check(new URL(page.url()).origin !== localhost, `the browser went to the provider (${new URL(page.url()).origin})`);
  await page.fill('input[name="email"]', address);
  await page.check('input[name="email_verified"]');
  const exchanged = page.waitForResponse((response) => response.url().endsWith("/auth/oauth/exchange/"));
  await page.click('button[type="submit"]');
  const answer = (await (await exchanged).json()) as { success: boolean; data?: { access?: string } };
  await page.locator("#signed-in").waitFor({ timeout: 15_000 });
  check(
    answer.success && (await page.textContent("#email")) === address,
    "signed up through the dev provider and back on the demo page",
  );
  check(new URL(page.url()).search === "", "the one-time code was taken out of the page's address");
  check(
    ((await page.textContent("#identities")) ?? "").includes(`dev: ${address} (verified)`),
    "the page lists the linked dev identity, its address verified",
  );
  await page.screenshot({ path: `${outDir}/social.png`, fullPage: true });
  console.log(`screenshot: ${outDir}/social.png`);
  await page.click("#logout");
  await page.locator("#signed-out").waitFor();
}

console.log(failures.length === 0 ? "browser test passed" : `browser test failed: ${failures.length} check(s)`);
process.exit(failures.length === 0 ? 0 : 1);
