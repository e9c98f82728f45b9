// What the bundle gets for `import ... from "zod"` (the alias in wrangler.toml and in
// vitest.config.ts, so tests run it too): zod's exports, `z` and the default as in zod's own index,
// made from classic-without-locales.ts. test/zod-bundle.test.ts checks that nothing else is missing.
import * as z from "./classic-without-locales.ts";

export * from "./classic-without-locales.ts";
export { z, z as default };
