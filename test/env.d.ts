// Types of the workerd test environment: the worker's bindings and its default export.
type WorkerBindings = import("../src/env.ts").Bindings;

declare namespace Cloudflare {
  interface Env extends WorkerBindings {}
  interface Exports {
    default: Fetcher;
  }
}

// Vite's raw imports: a file's text as a string.
declare module "*?raw" {
  const text: string;
  export default text;
}
