// Where webhooks may point. Deliveries are made by this service to an address an operator typed,
// so the address must not reach what is inside a network (SSRF): in production and preview only
// https to a named host that is not localhost; no IP literals at all (a private, loopback or
// link-local one is the attack; a public one is refused too, so no encoding trick slips through);
// no credentials in the URL, no port but 443. Development and tests also allow plain http to 127.0.0.1 and
// localhost, where a receiver runs on the same machine.

const PRIVATE_NAMES = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

/** Why `address` cannot be a webhook endpoint here, or null when it can. */
export function webhookUrlProblem(address: string, environment: string): string | null {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return "Enter a valid URL.";
  }
  if (url.username || url.password) return "The URL must not carry credentials.";
  if (url.hash) return "The URL must not have a fragment.";
  // A trailing dot is the same name, fully qualified ("localhost." is localhost).
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  const local = environment === "development" || environment === "test";
  if (local && url.protocol === "http:" && (host === "127.0.0.1" || host === "localhost")) return null;
  if (url.protocol !== "https:") return "Webhooks are delivered over https only.";
  if (isIpLiteral(host)) return "Use a host name, not an IP address.";
  if (PRIVATE_NAMES.test(host) || !host.includes(".")) return "The host must be a public name.";
  // Only the https port: no probing of other services through a name that resolves inside.
  if (url.port !== "") return "Use the standard https port (443).";
  return null;
}

// URL has normalised every IPv4 spelling (hex, octal, short forms) to dotted decimal, and IPv6 to brackets.
const isIpLiteral = (host: string) => host.startsWith("[") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
