// Provider documents that change rarely (discovery metadata, JWK Sets), cached twice: in this
// isolate's memory, and in the data center's Cache API so other isolates find them too. A sign-in
// then costs no fetch of either, except when a key is new (see id-token.ts).
import { ProviderError, providerFetch } from "./errors.ts";

const TTL_MS = 60 * 60 * 1000;
const memory = new Map<string, { value: unknown; fetchedAt: number }>();

/** The Cache API where the runtime has one (Workers: caches.default). */
function dataCenterCache(): Cache | undefined {
  return (globalThis as { caches?: { default?: Cache } }).caches?.default;
}

/** The JSON document at `url`, from a cache unless `fresh` or older than an hour. */
export async function remoteJson(url: string, fresh = false): Promise<unknown> {
  const now = Date.now();
  const kept = memory.get(url);
  if (kept && !fresh && now - kept.fetchedAt < TTL_MS) return kept.value;
  const cache = dataCenterCache();
  if (!fresh && cache) {
    const hit = await cache.match(url).catch(() => undefined);
    const value = hit ? await hit.json().catch(() => undefined) : undefined;
    if (value !== undefined) {
      memory.set(url, { value, fetchedAt: now });
      return value;
    }
  }
  const response = await providerFetch(url, { headers: { accept: "application/json" } });
  const value = response.ok ? await response.json().catch(() => undefined) : undefined;
  if (value === undefined || typeof value !== "object" || value === null)
    throw new ProviderError("failed", `no JSON document at ${new URL(url).host} (HTTP ${response.status})`);
  memory.set(url, { value, fetchedAt: now });
  const stored = new Response(JSON.stringify(value), {
    headers: { "content-type": "application/json", "cache-control": `max-age=${TTL_MS / 1000}` },
  });
  await cache?.put(url, stored).catch(() => undefined);
  return value;
}

/** When this isolate last fetched `url` (ms), for limiting refetches on unknown keys. */
export const fetchedAt = (url: string) => memory.get(url)?.fetchedAt ?? 0;
