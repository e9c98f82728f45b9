// What test/global-setup.ts provides to the tests (vitest `provide` / `inject`).
export {};

declare module "vitest" {
  export interface ProvidedContext {
    jwtPrivateKey: string;
    fakeProvidersUrl: string;
    /** The dev OpenID provider's issuer (local/dev-oidc-provider.ts), with DEV_OIDC_TEST_CLIENT registered. */
    oidcIssuer: string;
    /** GitHub (Enterprise) endpoints and an OpenID provider under /native (local/identity-providers.ts). */
    identityProvidersUrl: string;
    /** The private JWKs that provider's published keys belong to (the tests sign native ID tokens). */
    /** A PKCS#8 P-256 key in PEM, as Sign in with Apple's .p8 (OAUTH_APPLE_PRIVATE_KEY). */
    applePrivateKey: string;
    nativeIdpKeys: { rs256: Record<string, unknown>; es256: Record<string, unknown> };
    /** A webhook receiver (local/webhook-receiver.ts): POST /hook/<key>[?fail=N|?redirect=1], GET /received/<key>. */
    webhookReceiverUrl: string;
    /** Accepts connections and never answers (a stalled dependency). */
    stallUrl: string;
    /** Protocol servers behind proxies that fail one step each: of account deletion, signup, a code's write. */
    faults: {
      dbDelete: string;
      redisRevoke: string;
      redisTombstone: string;
      dbInsertLate: string;
      dbCodeWriteFails: string;
      dbCodeWriteLate: string;
      /** GET /profile/'s user read: the answer's body 1.3 s after the query, 0.7 s after its head. */
      dbBodyLate: string;
      /** The same with the body 4.6 s after the query. */
      dbBodyStalls: string;
    };
    databaseUrl: string;
    redisRestUrl: string;
    redisRestToken: string;
    probe: { databaseUrl: string; planetscaleUrl: string; redisRestUrl: string; redisRestToken: string };
  }
}
