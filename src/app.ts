// Builds the Hono app: cross-cutting middleware, error handling, and the routers.
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { type Clock, type Ids, randomIds, systemClock } from "./lib/clock.ts";
import { bodyGuard } from "./middleware/body-guard.ts";
import { config, dependencies } from "./middleware/dependencies.ts";
import { developmentOnly } from "./middleware/development-only.ts";
import { notFound, onError } from "./middleware/error-handling.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { accountRoutes } from "./routes/account.ts";
import { countryRoutes } from "./routes/countries.ts";
import { healthRoutes } from "./routes/health.ts";
import { jwksRoutes } from "./routes/jwks.ts";
import { groupLoader, type LazyGroup, lazyRoutes } from "./routes/lazy-routes.ts";
import { loginRoutes } from "./routes/login.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { passwordResetRoutes } from "./routes/password-reset.ts";
import { profileRoutes } from "./routes/profile.ts";
import { createRouter } from "./routes/router.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { signupRoutes } from "./routes/signup.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { appleCallbackForm, profileImageUpload } from "./routes/upload-routes.ts";
import { verificationRoutes } from "./routes/verification.ts";

export interface AppOptions {
  clock?: Clock;
  ids?: Ids;
}

/**
 * Routers built on their first request in an isolate (routes/lazy-routes.ts): everything but the
 * sign-up, sign-in, token, session, profile and recovery routes every client uses. Each owns its
 * prefix: no router mounted above has a path under it.
 */
export const LAZY_GROUPS: LazyGroup[] = [
  {
    prefix: "/admin",
    routers: async () => {
      const [users, keys, events, webhooks] = await Promise.all([
        import("./routes/admin.ts"),
        import("./routes/admin-api-keys.ts"),
        import("./routes/admin-events.ts"),
        import("./routes/admin-webhooks.ts"),
      ]);
      return [users.adminRoutes, keys.adminApiKeyRoutes, events.adminEventRoutes, webhooks.adminWebhookRoutes];
    },
  },
  {
    prefix: "/auth/secure/2fa",
    routers: async () => {
      const [settings, verify] = await Promise.all([import("./routes/two-factor.ts"), import("./routes/two-factor-verify.ts")]);
      return [settings.twoFactorRoutes, verify.twoFactorVerifyRoutes];
    },
  },
  { prefix: "/auth/passkeys", routers: async () => [(await import("./routes/passkeys.ts")).passkeyRoutes] },
  { prefix: "/auth/oauth", routers: async () => [(await import("./routes/oauth.ts")).oauthRoutes] },
  { prefix: "/auth/identities", routers: async () => [(await import("./routes/identities.ts")).identityRoutes] },
  { prefix: "/auth/passwordless", routers: async () => [(await import("./routes/passwordless.ts")).passwordlessRoutes] },
  { prefix: "/auth/user/email", routers: async () => [(await import("./routes/email-change.ts")).emailChangeRoutes] },
  { prefix: "/auth/security-events", routers: async () => [(await import("./routes/security-events.ts")).securityEventRoutes] },
  { prefix: "/dev", routers: async () => [(await import("./routes/dev-outbox.ts")).devOutboxRoutes] },
];

export function createApp(options: AppOptions = {}) {
  const app = createRouter();
  const bodies = bodyGuard([profileImageUpload, appleCallbackForm]);
  // First: whatever answer follows, the request body is not left unread on the connection.
  app.use(bodies.settle);
  // A client's own id is kept if it is short (it is logged and stored with security events).
  app.use(requestId({ headerName: "X-Request-Id", limitLength: 64 }));
  app.use(...securityHeaders);
  app.use(config);
  app.use(
    cors({
      origin: (origin, c) => (c.var.config.CORS_ORIGINS.includes(origin) ? origin : null),
      // CF-Turnstile-Response carries a challenge token for Basic logins, which have no body.
      allowHeaders: ["Authorization", "Content-Type", "CF-Turnstile-Response", "Device-Token"],
      exposeHeaders: ["X-Request-Id", "Retry-After", "Device-Token"],
      maxAge: 600,
    }),
  );
  app.use(...bodies.guard);
  app.use(dependencies({ clock: options.clock ?? systemClock, ids: options.ids ?? randomIds }));

  app.route("/", healthRoutes);
  app.route("/", signupRoutes);
  app.route("/", countryRoutes);
  app.route("/", loginRoutes);
  app.route("/", tokenRoutes);
  app.route("/", sessionRoutes);
  app.route("/", jwksRoutes);
  app.route("/", accountRoutes);
  app.route("/", profileRoutes);
  app.route("/", verificationRoutes);
  app.route("/", passwordResetRoutes);
  // The dev outbox exists only in development and test: elsewhere /dev/* is a plain 404.
  app.use("/dev/*", developmentOnly);
  const groups = LAZY_GROUPS.map((group) => ({ ...group, load: groupLoader(group) }));
  for (const group of groups) app.all(`${group.prefix}/*`, lazyRoutes(group.load));
  app.route("/", openApiRoutes(app, groups));

  app.onError(onError);
  app.notFound(notFound(app));
  return app;
}
