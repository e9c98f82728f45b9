// The one error type. Every failure a client can see is an AppError with a stable code from
// ERROR_STATUS; anything else is turned into INTERNAL_ERROR by the app's onError.
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  INVALID_JSON: 400,
  INVALID_REFRESH_TOKEN: 400,
  OTP_INVALID: 400,
  CAPTCHA_REQUIRED: 400,
  CAPTCHA_INVALID: 400,
  OAUTH_CODE_INVALID: 400,
  INVALID_CREDENTIALS: 401,
  NOT_AUTHENTICATED: 401,
  INVALID_TOKEN: 401,
  MFA_TOKEN_INVALID: 401,
  REAUTHENTICATION_REQUIRED: 401,
  FORBIDDEN: 403,
  ACCOUNT_DISABLED: 403,
  NOT_FOUND: 404,
  ACCOUNT_EXISTS: 409,
  IDENTITY_IN_USE: 409,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  CONFIG_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
  CAPTCHA_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type FieldErrors = Record<string, string[]>;

/** Messages of errors that do not depend on the route (part of the API contract). */
export const ROUTE_INDEPENDENT_MESSAGES: Partial<Record<ErrorCode, string>> = {
  NOT_AUTHENTICATED: "authentication required",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not found",
  METHOD_NOT_ALLOWED: "method not allowed",
  PAYLOAD_TOO_LARGE: "payload too large",
  UNSUPPORTED_MEDIA_TYPE: "unsupported media type",
  RATE_LIMITED: "too many requests",
  INTERNAL_ERROR: "internal server error",
  CONFIG_ERROR: "service misconfigured",
};

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: (typeof ERROR_STATUS)[ErrorCode];
  readonly details?: FieldErrors;
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    options: { message?: string; details?: FieldErrors; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    // The cause is for the log (which redacts it), never for the response.
    super(options.message ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.headers = options.headers;
  }
}

export function validationError(details: FieldErrors): AppError {
  return new AppError("VALIDATION_ERROR", { details });
}

/**
 * Adds `text` to `field` in a field-error map, creating the list on first use. Field names come
 * from clients ("constructor", "__proto__"): only own properties are read, and new ones are
 * defined, never assigned, so no name reaches the prototype.
 */
export function addFieldError(errors: FieldErrors, field: string, text: string): void {
  const list = Object.hasOwn(errors, field) ? errors[field] : undefined;
  if (list) list.push(text);
  else Object.defineProperty(errors, field, { value: [text], enumerable: true, writable: true, configurable: true });
}

// 401s on Bearer endpoints carry a Bearer challenge (RFC 6750), so clients know what to send.
export function notAuthenticatedError(): AppError {
  return new AppError("NOT_AUTHENTICATED", { headers: { "WWW-Authenticate": 'Bearer realm="api"' } });
}

export function invalidTokenError(): AppError {
  return new AppError("INVALID_TOKEN", { headers: { "WWW-Authenticate": 'Bearer realm="api", error="invalid_token"' } });
}

/** How long a client should wait after a 503 before trying again. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * A dependency could not be reached in time: 503 naming it (never its address or the query), with
 * Retry-After. The cause is kept for the log, which redacts it.
 */
export function unavailable(dependency: string, reason: string, cause?: unknown): AppError {
  return new AppError("SERVICE_UNAVAILABLE", {
    details: { [dependency]: [reason] },
    headers: { "Retry-After": String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
    cause,
  });
}

/** An AppError thrown under a library's wrapper (Drizzle wraps driver errors in its own). */
export function appErrorIn(error: unknown): AppError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof AppError) return current;
  }
  return undefined;
}
