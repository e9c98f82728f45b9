// npm run keys:generate -- a new Ed25519 signing key. Only the private JWK goes to stdout, so it
// can be piped straight into `wrangler secret put` without landing in shell history or a file;
// the guidance (the public half for rotations, the .dev.vars line) goes to stderr.
import { generateSigningKey } from "../src/lib/signing-keys.ts";
import { dotenvValue } from "./dev-vars.ts";

const { privateJwk, publicJwk } = await generateSigningKey();
const privateText = JSON.stringify(privateJwk);
process.stdout.write(`${privateText}\n`);
console.error(`# New signing key ${privateJwk.kid} (the private JWK is on stdout). Keep it secret:
#   npm run --silent keys:generate | npx wrangler secret put JWT_PRIVATE_KEY --env production
# Rotation: before switching, add the OLD key's public half to JWT_PUBLIC_KEYS so tokens it
# signed stay valid until they expire (a JSON array; this is the new key's public half):
#   ${JSON.stringify(publicJwk)}
# For .dev.vars: JWT_PRIVATE_KEY=${process.stdout.isTTY ? dotenvValue(privateText) : "<the stdout line, in single quotes>"}`);
