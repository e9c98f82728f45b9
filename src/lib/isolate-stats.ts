// Counters of per-isolate work, so tests and the bench can show that the caches hit and that work
// is done only when a request needs it: how often the configuration was parsed and the signing keys
// imported (once per isolate and bindings), how many MySQL and Redis clients were made (once per
// isolate and configuration, when a route first uses one), and how many route groups were built on
// first use. Plain numbers: no cost worth measuring.
export const isolateStats = {
  configParsed: 0,
  configCacheHits: 0,
  keysImported: 0,
  keysCacheHits: 0,
  databaseClients: 0,
  redisClients: 0,
  routeGroupsBuilt: 0,
};
