// npm run keys:generate -- prints a new Ed25519 signing key in the form `wrangler secret put` takes.
import { generateSigningKey } from "../src/lib/signing-keys.ts";
import { dotenvValue } from "./dev-vars.ts";

const { privateJwk, publicJwk } = await generateSigningKey();
const privateText = JSON.stringify(privateJwk);
console.log(`# New signing key ${privateJwk.kid}. Keep the private key secret.

# 1. Set it as the signing key (production shown; use --env preview for previews):
echo '${privateText}' | npx wrangler secret put JWT_PRIVATE_KEY --env production

# 2. Rotation: before switching, add the OLD key's public half to JWT_PUBLIC_KEYS so tokens it
#    signed stay valid until they expire (a JSON array; this is the new key's public half):
#    ${JSON.stringify(publicJwk)}

# For .dev.vars:
JWT_PRIVATE_KEY=${dotenvValue(privateText)}`);
