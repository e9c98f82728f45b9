// Measures the guessing budgets of docs/lockout.md as an attacker meets them: every request from
// a new client IP, none with a device token, against the production bundle under plain workerd
// and the local stack. For one account it sends 200 wrong passwords (half by username, half by
// email) and counts the guesses evaluated (answered 401, plus the one per name that filled its
// budget: 429 with a fresh hour's Retry-After); for a 2FA account whose password the attacker
// knows, 60 wrong codes across mfa_tokens, counting those evaluated the same way. The hour's
// numbers are real time; the day's bound (100) is stepped through with an injected clock in
// test/lockout.test.ts. Run: npm run guess-budget
import { fileURLToPath } from "node:url";
import { generateTotp } from "../src/lib/totp.ts";
import { startWorkerdOnStack } from "./workerd-runner.ts";

const dir = fileURLToPath(new URL("../.local/guess-budget", import.meta.url));
const PASSWORD = "Budget-passphrase-42";
let clients = 0;
const nextIp = () => {
  const n = ++clients;
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
};

async function post(base: string, path: string, init: { body?: unknown; headers?: Record<string, string> }) {
  const headers: Record<string, string> = { "cf-connecting-ip": nextIp(), "content-type": "application/json", ...init.headers };
  const res = await fetch(`${base}${path}`, { method: "POST", headers, body: JSON.stringify(init.body ?? {}) });
  return { status: res.status, retryAfter: Number(res.headers.get("retry-after") ?? 0), body: JSON.parse(await res.text()) };
}

/** Evaluated: a 401/400, or the 429 whose wait is a whole fresh hour (the guess that filled the budget). */
const evaluated = (answers: { status: number; retryAfter: number }[], wrongStatus: number) => {
  const firstRefusal = answers.findIndex((answer) => answer.status === 429);
  return answers.filter((answer) => answer.status === wrongStatus).length + (firstRefusal >= 0 ? 1 : 0);
};

async function main() {
  const { worker, stop } = await startWorkerdOnStack(dir);
  try {
    const base = worker.url;
    const name = `budget_${Date.now().toString(36)}`;
    const email = `${name}@example.com`;
    await post(base, "/auth/user/signup/", { body: { username: name, email, password: PASSWORD, password2: PASSWORD } });
    const byName: Record<string, { status: number; retryAfter: number }[]> = { username: [], email: [] };
    for (let i = 0; i < 100; i++) {
      byName.username?.push(await post(base, "/auth/user/login/", { body: { username: name, password: `wrong-${i}` } }));
      byName.email?.push(await post(base, "/auth/user/login/", { body: { email, password: `wrong-${i}` } }));
    }
    const passwords = evaluated(byName.username ?? [], 401) + evaluated(byName.email ?? [], 401);

    // Second factor: the attacker knows the password (and has no device token).
    const twoFactorName = `${name}_2fa`;
    await post(base, "/auth/user/signup/", {
      body: { username: twoFactorName, email: `${twoFactorName}@example.com`, password: PASSWORD, password2: PASSWORD },
    });
    const first = await post(base, "/auth/user/login/", { body: { username: twoFactorName, password: PASSWORD } });
    const bearer = { authorization: `Bearer ${first.body.data.access}` };
    const setup = await post(base, "/auth/secure/2fa/setup/", { headers: bearer, body: { password: PASSWORD } });
    const secret = String(setup.body.data.secret);
    await post(base, "/auth/secure/2fa/confirm/", { headers: bearer, body: { code: generateTotp(secret, Date.now() - 30_000) } });
    const answers: { status: number; retryAfter: number }[] = [];
    for (let round = 0; round < 12; round++) {
      const token = (await post(base, "/auth/user/login/", { body: { username: twoFactorName, password: PASSWORD } })).body.data
        .mfa_token;
      for (let i = 0; i < 5; i++)
        answers.push(await post(base, "/auth/secure/2fa/verify/", { body: { mfa_token: token, code: "000000" } }));
    }
    const codes = evaluated(answers, 400);
    console.log(`password guesses sent: 200 (from 200 IPs); evaluated within the hour: ${passwords} (budget: 20)`);
    console.log(`second-factor answers sent: 60 (12 mfa_tokens, 60 IPs); evaluated within the hour: ${codes} (budget: 20)`);
    if (passwords > 20 || codes > 20) process.exitCode = 1;
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
