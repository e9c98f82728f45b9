// Provider documents that change rarely (discovery metadata, JWK Sets), cached twice: in this
// isolate's memory, and in the data center's Cache API so other isolates find them too. A sign-in
// then costs no fetch of either, except when a key is new (see id-token.ts).
//
// The Cache API is shared by every Worker of the zone: an entry kept under the document's own URL
// could be replaced by another Worker (a forged JWK Set would make forged ID tokens pass). Entries
// are kept under a key derived from this service's secret scope instead, which no other Worker
// can name.
import { digestHex } from "../../lib/hex.ts";
import { ProviderError, providerFetch } from "./errors.ts";

const TTL_MS = 60 * 60 * 1000;
const memory = new Map<string, { value: unknown; fetchedAt: number }>();
/** When each document was last asked of its provider, answered or not. */
const attempts = new Map<string, number>();

/** The Cache API where the runtime has one (Workers: caches.default). */
function dataCenterCache(): Cache | undefined {
  return (globalThis as { caches?: { default?: Cache } }).caches?.default;
}

const cacheKey = async (url: string, scope: string) =>
  `https://oauth-documents.invalid/${await digestHex("SHA-256", `${scope}\n${url}`)}`;

/** The JSON document at `url`, from a cache unless `fresh` or older than an hour. `scope` is a secret of this service. */
export async function remoteJson(url: string, scope: string, fresh = false): Promise<unknown> {
  const now = Date.now();
  const kept = memory.get(url);
  if (kept && !fresh && now - kept.fetchedAt < TTL_MS) return kept.value;
  const cache = dataCenterCache();
  const key = cache ? await cacheKey(url, scope) : "";
  if (!fresh && cache) {
    const hit = await cache.match(key).catch(() => undefined);
    const value = hit ? await hit.json().catch(() => undefined) : undefined;
    if (value !== undefined) {
      memory.set(url, { value, fetchedAt: now });
      return value;
    }
  }
  attempts.set(url, now);
  const response = await providerFetch(url, { headers: { accept: "application/json" } });
  // The provider's own trouble is an outage, not a wrong answer.
  if (response.status >= 500 || response.status === 429)
    throw new ProviderError("unavailable", `${new URL(url).host} answered HTTP ${response.status}`);
  const value = response.ok ? await response.json().catch(() => undefined) : undefined;
  if (value === undefined || typeof value !== "object" || value === null)
    throw new ProviderError("failed", `no JSON document at ${new URL(url).host} (HTTP ${response.status})`);
  memory.set(url, { value, fetchedAt: now });
  const stored = new Response(JSON.stringify(value), {
    headers: { "content-type": "application/json", "cache-control": `max-age=${TTL_MS / 1000}` },
  });
  await cache?.put(key, stored).catch(() => undefined);
  return value;
}

/** When this isolate last asked for `url` (ms), answered or not: refetches on unknown keys wait after it. */
export const lastAttempt = (url: string) => attempts.get(url) ?? 0;
