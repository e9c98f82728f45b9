// Cloudflare Turnstile's siteverify API: is this widget token genuine, unused and recent?
// https://developers.cloudflare.com/turnstile/get-started/server-side-validation/

export interface CaptchaVerifier {
  /** true: solved; false: refused. Throws CaptchaUnavailableError when Turnstile cannot answer. */
  verify(token: string, ip: string): Promise<boolean>;
}

export class CaptchaUnavailableError extends Error {
  override name = "CaptchaUnavailableError";
}

// Tokens are at most 2048 characters; anything longer is refused without asking.
const MAX_TOKEN_LENGTH = 2048;

export function turnstileVerifier(options: { apiUrl: string; secretKey: string; timeoutMs: number }): CaptchaVerifier {
  const url = `${options.apiUrl.replace(/\/$/, "")}/turnstile/v0/siteverify`;
  return {
    async verify(token, ip) {
      if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return false;
      const form = new FormData();
      form.set("secret", options.secretKey);
      form.set("response", token);
      if (ip !== "unknown") form.set("remoteip", ip);
      let response: Response;
      try {
        response = await fetch(url, { method: "POST", body: form, signal: AbortSignal.timeout(options.timeoutMs) });
      } catch (error) {
        throw new CaptchaUnavailableError(error instanceof Error ? error.message : "request failed");
      }
      const body = (await response.json().catch(() => null)) as { success?: unknown; "error-codes"?: unknown } | null;
      if (!response.ok || !body || typeof body.success !== "boolean")
        throw new CaptchaUnavailableError(`HTTP ${response.status}`);
      const codes = Array.isArray(body["error-codes"]) ? body["error-codes"] : [];
      // Turnstile's own trouble, or our secret refused: no user can pass, so it is an outage, not their fault.
      const broken = ["internal-error", "missing-input-secret", "invalid-input-secret"].find((code) => codes.includes(code));
      if (!body.success && broken) throw new CaptchaUnavailableError(broken);
      return body.success;
    },
  };
}
