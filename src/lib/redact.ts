// What an error may say in a log: database errors quote the whole SQL statement with its
// parameters already interpolated (password hashes, emails, usernames), and any message can
// carry an address, a number, a code or a token. Everything that could be one is masked.
const RULES: [RegExp, string][] = [
  [/\/\/[^\s/@]+@/g, "//<credentials>@"], // user:password in a URL
  [/'(?:[^'\\]|\\.)*'/g, "'?'"], // SQL string literals: the driver's interpolated parameters
  [/"(?:[^"\\]|\\.)*"/g, '"?"'], // quoted values in JSON or messages
  [/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, "<email>"],
  [/\b(?:Bearer|Basic)\s+\S+/gi, "<credentials>"],
  [/[A-Za-z0-9_\-+/=.]{24,}/g, "<secret>"], // JWTs, hashes, keys, reset tokens
  [/\+?\d[\d\s-]{4,}\d/g, "<number>"], // codes, phone numbers
];

const MAX_LENGTH = 300;

export function redact(text: string): string {
  let out = text;
  for (const [pattern, mask] of RULES) out = out.replace(pattern, mask);
  return out.length > MAX_LENGTH ? `${out.slice(0, MAX_LENGTH)}…` : out;
}

/** Error codes as libraries and this service define them (ERR_JWT_EXPIRED, SERVICE_UNAVAILABLE). */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** "Name [CODE]": the code only when it is such a constant (never client data) and adds something. */
function labelOf(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && ERROR_CODE.test(code) && code !== error.message ? `${error.name} [${code}]` : error.name;
}

/**
 * An error as one log-safe line: each error in its cause chain as "Name [CODE]: redacted message".
 * The code (when the error has a string one) says what happened even where the name does not: the
 * bundle is minified without function names, so a library error named after its class (jose's)
 * carries a short made-up name.
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 4; depth++) {
    if (current instanceof Error) {
      parts.push(`${labelOf(current)}: ${redact(current.message)}`);
      current = current.cause;
    } else {
      parts.push(redact(String(current)));
      current = undefined;
    }
  }
  return parts.join(" <- ");
}
