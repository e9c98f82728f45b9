// Types of the workerd test environment: the worker's bindings and its default export.
declare namespace Cloudflare {
  interface Env extends import("../src/env.ts").Bindings {}
  interface Exports {
    default: Fetcher;
  }
}
