// Counters of per-isolate work, so tests and the bench can show that the caches hit and that a
// route builds only the clients it uses: how often the configuration was parsed and the signing
// keys imported (once per isolate and bindings), and how many MySQL and Redis clients were made
// (only by requests that use them), and how many route groups were built on first use. Plain numbers: no cost worth measuring.
export const isolateStats = {
  configParsed: 0,
  configCacheHits: 0,
  keysImported: 0,
  keysCacheHits: 0,
  databaseClients: 0,
  redisClients: 0,
  routeGroupsBuilt: 0,
};
