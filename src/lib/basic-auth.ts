// HTTP Basic credentials, parsed strictly: anything malformed is a client error, never a crash.
export type BasicCredentials =
  | { kind: "basic"; username: string; password: string }
  | { kind: "malformed"; reason: string }
  | { kind: "other-scheme" };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function parseBasicAuth(header: string): BasicCredentials {
  const match = /^(\S+)\s*(.*)$/s.exec(header.trim());
  const [, scheme = "", rest = ""] = match ?? [];
  if (scheme.toLowerCase() !== "basic") return { kind: "other-scheme" };
  const encoded = rest.trim();
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !BASE64.test(encoded)) {
    return { kind: "malformed", reason: "Invalid base64 in the Basic credentials." };
  }
  let decoded: string;
  try {
    const bytes = Uint8Array.from(atob(encoded), (char) => char.charCodeAt(0));
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { kind: "malformed", reason: "Invalid base64 or UTF-8 in the Basic credentials." };
  }
  // Split at the first colon only: passwords may contain colons, usernames may not.
  const colon = decoded.indexOf(":");
  if (colon < 0) return { kind: "malformed", reason: "Basic credentials must be username:password." };
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (!username || !password) return { kind: "malformed", reason: "Basic credentials need a username and a password." };
  return { kind: "basic", username, password };
}
