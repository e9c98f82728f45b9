// The worker is minified without function names (wrangler.toml: keep_names = false), which no
// test under vitest sees (it does not minify). The passkey library's certificate stack (ASN.1
// schemas declared with decorators, a dependency-injection container, class-based parsers) is
// where a read of a class name would hide, so a worker bundled exactly as deploys are (wrangler,
// this wrangler.toml) makes and parses a certificate with it, validates a chain and round-trips a
// repeated ASN.1 field. One name read does exist there: @peculiar/asn1-schema's parser unwraps a
// lone SEQUENCE in `processRepeatedField` by `constructor.name === "Sequence"`, which nothing in
// it calls (2.11.1); the last test fails if an upgrade starts calling it. Run by npm test (node --test).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { bundleWorker } from "./workerd-runner.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
// Inside the project (git-ignored .local/), so the probe's imports resolve to its node_modules.
mkdirSync(join(root, ".local"), { recursive: true });
const dir = mkdtempSync(join(root, ".local/minified-bundle-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// A revocation-list entry's extensions are a repeated field; a certificate's subject and
// extensions are what attestation checks read.
const probeWorker = `
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { Extension, RevokedCertificate, Time } from "@peculiar/asn1-x509";
import { getCertificateInfo, validateCertificatePath } from "@simplewebauthn/server/helpers";
import { Sequence } from "asn1js";
import { webauthnLibrary } from "../../src/services/passkey-rules.ts";

async function certificate() {
  // After the library (which installs the reflect polyfill the X.509 package needs), as in the service.
  const { BasicConstraintsExtension, X509CertificateGenerator } = await import("@peculiar/x509");
  const algorithm = { name: "ECDSA", namedCurve: "P-256" };
  const signingAlgorithm = { name: "ECDSA", hash: "SHA-256" };
  const [rootKeys, leafKeys] = await Promise.all([0, 1].map(() => crypto.subtle.generateKey(algorithm, true, ["sign", "verify"])));
  const validity = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) };
  const root = await X509CertificateGenerator.createSelfSigned({
    ...validity,
    serialNumber: "01",
    name: "CN=Probe Root, O=LoginSystem Edge",
    keys: rootKeys,
    signingAlgorithm,
    extensions: [new BasicConstraintsExtension(true, undefined, true)],
  });
  const leaf = await X509CertificateGenerator.create({
    ...validity,
    serialNumber: "02",
    subject: "CN=Probe Authenticator, O=LoginSystem Edge",
    issuer: root.subject,
    publicKey: leafKeys.publicKey,
    signingKey: rootKeys.privateKey,
    signingAlgorithm,
    extensions: [new BasicConstraintsExtension(false, undefined, true)],
  });
  const info = getCertificateInfo(new Uint8Array(leaf.rawData));
  const chain = await validateCertificatePath([leaf.toString("pem")], [root.toString("pem")]);
  return { subject: info.subject.combined, issuer: info.issuer.combined, ca: info.basicConstraintsCA, chain };
}

function repeatedField() {
  const entry = new RevokedCertificate({
    userCertificate: new Uint8Array([1, 2, 3]).buffer,
    revocationDate: new Time(new Date("2026-01-01T00:00:00Z")),
    crlEntryExtensions: [new Extension({ extnID: "2.5.29.21", critical: false, extnValue: new OctetString(new Uint8Array([10, 1, 1])) })],
  });
  const parsed = AsnConvert.parse(AsnConvert.serialize(entry), RevokedCertificate);
  return (parsed.crlEntryExtensions ?? []).map((extension) => extension.extnID).join(",");
}

export default {
  async fetch() {
    await webauthnLibrary();
    try {
      return Response.json({ className: Sequence.name, certificate: await certificate(), repeated: repeatedField() });
    } catch (error) {
      return Response.json({ className: Sequence.name, error: String(error?.stack ?? error) + " <- " + String(error?.cause ?? "") });
    }
  },
};
`;

function bundleAsDeployed(): string {
  const entry = join(dir, "probe.ts");
  writeFileSync(entry, probeWorker);
  const outdir = join(dir, "out");
  bundleWorker(outdir, [entry]);
  return join(outdir, "probe.js");
}

describe("the passkey library in the bundle as deployed", () => {
  it("makes, parses and validates a certificate and round-trips a repeated field, minified without names", async () => {
    const bundle = bundleAsDeployed();
    const worker = (await import(pathToFileURL(bundle).href)) as { default: { fetch: () => Promise<Response> } };
    const result = (await (await worker.default.fetch()).json()) as Record<string, unknown>;
    // The premise: this build lost its class names, as deploys do.
    assert.notEqual(result.className, "Sequence", "the probe kept class names: wrangler.toml no longer drops them");
    assert.deepEqual(
      { certificate: result.certificate, repeated: result.repeated, error: result.error },
      {
        certificate: {
          subject: "LoginSystem Edge : Probe Authenticator",
          issuer: "LoginSystem Edge : Probe Root",
          ca: false,
          chain: true,
        },
        repeated: "2.5.29.21",
        error: undefined,
      },
    );
  });

  it("still never calls the asn1-schema parser's one class-name check", () => {
    const parser = readFileSync(join(root, "node_modules/@peculiar/asn1-schema/build/es2015/parser.js"), "utf8");
    const calls = parser.match(/\.processRepeatedField\(/g) ?? [];
    assert.equal(
      calls.length,
      0,
      "asn1-schema now calls processRepeatedField, which compares constructor.name: review keep_names",
    );
  });
});
