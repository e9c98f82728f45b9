// The dev OpenID provider's clients (local/dev-oidc-provider.ts), apart from the provider itself so
// the tests, which run in workerd, can import them without Node's modules.

export interface DevOidcClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

/** The client `npm run dev` registers (its redirect URIs follow the dev port). */
export const DEV_OIDC_CLIENT: DevOidcClient = {
  client_id: "loginsystem-edge-dev",
  client_secret: "dev-oidc-dev-secret",
  redirect_uris: [],
};

/** The client the tests register (redirects go to the tests' own origin). */
export const DEV_OIDC_TEST_CLIENT: DevOidcClient = {
  client_id: "loginsystem-edge-test",
  client_secret: "dev-oidc-test-secret",
  redirect_uris: ["https://api.test/auth/oauth/dev/callback"],
};
