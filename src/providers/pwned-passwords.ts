// Have I Been Pwned's Pwned Passwords range API (k-anonymity): only the first 5 hex characters of
// the password's SHA-1 leave the worker; the answer lists every known suffix with that prefix,
// padded with fake zero-count entries (Add-Padding) so its size says nothing either. Responses
// are cached with the Cache API: one prefix serves every password that shares it.
// https://haveibeenpwned.com/API/v3#PwnedPasswords

import { digestHex } from "../lib/hex.ts";
import type { Logger } from "../lib/log.ts";

export interface BreachChecker {
  /** true / false, or undefined when the service could not say (the caller fails open). */
  isBreached(password: string): Promise<boolean | undefined>;
}

const CACHE_SECONDS = 24 * 3600;

const sha1Hex = async (text: string): Promise<string> => (await digestHex("SHA-1", text)).toUpperCase();

// Without a Cache API (or when it fails) every check simply asks the service.
async function cached(url: string): Promise<Response | undefined> {
  try {
    return await caches.default.match(url);
  } catch {
    return undefined;
  }
}

async function remember(url: string, text: string): Promise<void> {
  try {
    await caches.default.put(url, new Response(text, { headers: { "Cache-Control": `public, max-age=${CACHE_SECONDS}` } }));
  } catch {
    // Not cached: the answer is still good.
  }
}

export function pwnedPasswords(options: { apiUrl: string; timeoutMs: number; log: Logger }): BreachChecker {
  const base = options.apiUrl.replace(/\/$/, "");
  return {
    async isBreached(password) {
      const hash = await sha1Hex(password.normalize("NFKC"));
      const url = `${base}/range/${hash.slice(0, 5)}`;
      let text: string;
      try {
        const hit = await cached(url);
        if (hit) text = await hit.text();
        else {
          const response = await fetch(url, {
            headers: { "Add-Padding": "true" },
            signal: AbortSignal.timeout(options.timeoutMs),
          });
          text = await response.text();
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          await remember(url, text);
        }
      } catch (error) {
        options.log.warn("breached_password_check_skipped", { reason: "fails open", error });
        return undefined;
      }
      const suffix = hash.slice(5);
      // Lines are "SUFFIX:COUNT"; padding entries have a count of 0.
      return text.split("\n").some((line) => {
        const [candidate, count] = line.trim().split(":");
        return candidate === suffix && Number(count) > 0;
      });
    },
  };
}
