// Sign in with Apple has no static client secret: the secret is a short JWT signed (ES256) with
// the .p8 key Apple issued for the team, naming the team (iss), the Services ID (sub) and Apple
// (aud). Made per token request, valid five minutes.
import { importPKCS8, SignJWT } from "jose";

const keys = new Map<string, Promise<CryptoKey>>();

export async function appleClientSecret(
  apple: { teamId: string; keyId: string; privateKey: string },
  clientId: string,
  now: Date,
): Promise<string> {
  let key = keys.get(apple.privateKey);
  if (!key) {
    key = importPKCS8(apple.privateKey.replace(/\\n/g, "\n"), "ES256") as Promise<CryptoKey>;
    key.catch(() => keys.delete(apple.privateKey));
    keys.set(apple.privateKey, key);
  }
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: apple.keyId })
    .setIssuer(apple.teamId)
    .setSubject(clientId)
    .setAudience("https://appleid.apple.com")
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + 300)
    .sign(await key);
}
