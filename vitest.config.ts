import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { DEV_OIDC_TEST_CLIENT } from "./local/dev-oidc-clients.ts";
import { hermeticWranglerConfig } from "./local/test-wrangler-config.ts";

// wrangler.toml, copied where no .dev.vars or .env is: tests never see a developer's local settings.
const configPath = hermeticWranglerConfig(fileURLToPath(new URL(".", import.meta.url)));

// Tests run inside workerd (the Workers runtime) against the real local stack, which
// test/global-setup.ts starts in Node and hands over through `provide`/`inject`.
export default defineConfig({
  // As wrangler.toml's [alias]: the tests run the zod the bundle holds.
  resolve: { alias: [{ find: /^zod$/, replacement: fileURLToPath(new URL("./src/lib/zod/index.ts", import.meta.url)) }] },
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath },
      miniflare: {
        bindings: {
          // wrangler.toml's top level is production: the tests say what they run as.
          ENVIRONMENT: "test",
          EMAIL_PROVIDER: "log",
          SMS_PROVIDER: "log",
          CORS_ORIGINS: "http://localhost:3000,http://localhost:5173",
          PASSWORDLESS_EMAIL: "on",
          // On in production; test/new-device.test.ts turns it on for its own requests (a notice
          // mail arriving mid-test would be the newest message other tests read codes from).
          NEW_DEVICE_NOTICES: "off",
          DATABASE_URL: inject("databaseUrl"),
          UPSTASH_REDIS_REST_URL: inject("redisRestUrl"),
          UPSTASH_REDIS_REST_TOKEN: inject("redisRestToken"),
          PASSWORD_PEPPER: "test-pepper-0123456789abcdef0123456789",
          TOTP_ENCRYPTION_KEY: "dGVzdC10b3RwLWtleS0wMTIzNDU2Nzg5YWJjZGVmMDE=",
          JWT_PRIVATE_KEY: inject("jwtPrivateKey"),
          // Sign-in-with: the dev OpenID provider (test/global-setup.ts starts it), a GitHub
          // Enterprise stand-in, and a provider whose keys the tests hold (native ID tokens).
          OAUTH_PROVIDERS: "dev,github,native,apple,down",
          OAUTH_DEV_ISSUER: inject("oidcIssuer"),
          OAUTH_DEV_CLIENT_ID: DEV_OIDC_TEST_CLIENT.client_id,
          OAUTH_DEV_CLIENT_SECRET: DEV_OIDC_TEST_CLIENT.client_secret,
          OAUTH_GITHUB_BASE_URL: inject("identityProvidersUrl"),
          OAUTH_GITHUB_CLIENT_ID: "github-test-client",
          OAUTH_GITHUB_CLIENT_SECRET: "github-test-secret",
          OAUTH_NATIVE_ISSUER: `${inject("identityProvidersUrl")}/native`,
          OAUTH_NATIVE_CLIENT_ID: "native-web-client",
          OAUTH_NATIVE_CLIENT_IDS: "native-ios-client,native-android-client",
          OAUTH_NATIVE_CLIENT_SECRET: "native-web-secret",
          OAUTH_APPLE_CLIENT_ID: "com.example.web",
          OAUTH_APPLE_TEAM_ID: "TEAM123456",
          OAUTH_APPLE_KEY_ID: "KEY1234567",
          OAUTH_APPLE_PRIVATE_KEY: inject("applePrivateKey"),
          OAUTH_DOWN_ISSUER: `${inject("identityProvidersUrl")}/down`,
          OAUTH_DOWN_CLIENT_ID: "down-client",
          OAUTH_DOWN_CLIENT_SECRET: "down-secret",
          // Webhook retries a second apart (production: about a day in all), 7 as in wrangler.toml.
          WEBHOOK_RETRY_SCHEDULE: "1,1,1,1,1,1,1",
          WEBHOOK_TIMEOUT_MS: "2000",
          OAUTH_REDIRECT_URIS: "https://app.example.com/auth/done,http://localhost:3000/*",
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // The worker logs straight to workerd's stdout, not through vitest's console RPC. A log made in
    // another I/O context (a waitUntil task, the delivery queue's consumer) as a file ends left
    // that RPC pending: the old pool (@cloudflare/vitest-pool-workers 0.23) then waited for it
    // forever (the run stalled between files); the plugin 1.5 fails the run with "Closing rpc
    // while onUserConsoleLog was pending". npm test keeps those lines in .local/test-worker.log.
    disableConsoleIntercept: true,
    // A green run is quiet: no test is listed as slow under 20 s.
    slowTestThreshold: 20_000,
    hookTimeout: 60_000,
  },
});
