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
import { adminRoutes } from "./routes/admin.ts";
import { adminApiKeyRoutes } from "./routes/admin-api-keys.ts";
import { adminEventRoutes } from "./routes/admin-events.ts";
import { adminWebhookRoutes } from "./routes/admin-webhooks.ts";
import { countryRoutes } from "./routes/countries.ts";
import { devOutboxRoutes } from "./routes/dev-outbox.ts";
import { emailChangeRoutes } from "./routes/email-change.ts";
import { healthRoutes } from "./routes/health.ts";
import { identityRoutes } from "./routes/identities.ts";
import { jwksRoutes } from "./routes/jwks.ts";
import { loginRoutes } from "./routes/login.ts";
import { appleCallbackForm, oauthRoutes } from "./routes/oauth.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { passkeyRoutes } from "./routes/passkeys.ts";
import { passwordResetRoutes } from "./routes/password-reset.ts";
import { passwordlessRoutes } from "./routes/passwordless.ts";
import { profileImageUpload, profileRoutes } from "./routes/profile.ts";
import { createRouter } from "./routes/router.ts";
import { securityEventRoutes } from "./routes/security-events.ts";
import { sessionRoutes } from "./routes/sessions.ts";
import { signupRoutes } from "./routes/signup.ts";
import { tokenRoutes } from "./routes/tokens.ts";
import { twoFactorRoutes } from "./routes/two-factor.ts";
import { twoFactorVerifyRoutes } from "./routes/two-factor-verify.ts";
import { verificationRoutes } from "./routes/verification.ts";

export interface AppOptions {
  clock?: Clock;
  ids?: Ids;
}

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
  app.route("/", securityEventRoutes);
  app.route("/", jwksRoutes);
  app.route("/", accountRoutes);
  app.route("/", profileRoutes);
  app.route("/", verificationRoutes);
  app.route("/", passwordResetRoutes);
  app.route("/", emailChangeRoutes);
  app.route("/", twoFactorRoutes);
  app.route("/", twoFactorVerifyRoutes);
  app.route("/", passkeyRoutes);
  app.route("/", identityRoutes);
  app.route("/", passwordlessRoutes);
  app.route("/", oauthRoutes);
  app.route("/", adminRoutes);
  app.route("/", adminApiKeyRoutes);
  app.route("/", adminEventRoutes);
  app.route("/", adminWebhookRoutes);
  // The dev outbox exists only in development and test: elsewhere /dev/* is a plain 404.
  app.use("/dev/*", developmentOnly);
  app.route("/", devOutboxRoutes);
  app.route("/", openApiRoutes(app));

  app.onError(onError);
  app.notFound(notFound(app));
  return app;
}
