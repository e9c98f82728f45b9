// A software passkey authenticator for the tests and the benchmark: what a phone or a security key does, built by
// hand from Web Crypto, so every byte the server checks can also be made wrong on purpose.
//   attestationObject = CBOR {fmt: "none", attStmt: {}, authData}
//   authData = SHA-256(rpId) ‖ flags ‖ signCount (4 bytes BE) [‖ AAGUID (16) ‖ id length (2) ‖ id ‖ COSE key]
//   an assertion signs authData ‖ SHA-256(clientDataJSON) (ES256: DER-encoded ECDSA; Ed25519: raw)

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;
export const TEST_ORIGIN = "http://localhost:8787";
export const TEST_RP_ID = "localhost";

type Bytes = Uint8Array<ArrayBuffer>;
const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
const fromB64url = (text: string) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (char) => char.charCodeAt(0));
const utf8 = (text: string): Bytes => Uint8Array.from(new TextEncoder().encode(text));
const sha256 = async (bytes: Bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const concat = (...parts: Uint8Array[]): Bytes => {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
};

/** CBOR (RFC 8949) for what WebAuthn needs: integers, byte and text strings, maps. */
type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;
function cborHead(major: number, length: number): Uint8Array {
  if (length < 24) return Uint8Array.of((major << 5) | length);
  if (length < 0x100) return Uint8Array.of((major << 5) | 24, length);
  if (length < 0x10000) return Uint8Array.of((major << 5) | 25, length >> 8, length & 0xff);
  return Uint8Array.of((major << 5) | 26, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}
export function cbor(value: Cbor): Uint8Array {
  if (typeof value === "number") return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === "string") return concat(cborHead(3, utf8(value).length), utf8(value));
  if (value instanceof Uint8Array) return concat(cborHead(2, value.length), value);
  return concat(cborHead(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)]));
}

/** An ECDSA signature as Web Crypto gives it (r ‖ s) in the DER form WebAuthn uses. */
function derSignature(raw: Uint8Array): Uint8Array {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    let trimmed = bytes.slice(start);
    if ((trimmed[0] ?? 0) & 0x80) trimmed = concat(Uint8Array.of(0), trimmed);
    return concat(Uint8Array.of(0x02, trimmed.length), trimmed);
  };
  const body = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(Uint8Array.of(0x30, body.length), body);
}

export interface Ceremony {
  origin?: string;
  rpId?: string;
  /** Without user verification (the UV flag off). */
  userVerified?: boolean;
  type?: string;
  /** Answers this challenge instead of the options'. */
  challenge?: string;
}

export class SoftAuthenticator {
  readonly credentialId = crypto.getRandomValues(new Uint8Array(32));
  signCount = 0;
  private keys!: CryptoKeyPair;
  private userId = "";

  readonly algorithm: "ES256" | "Ed25519";

  private constructor(algorithm: "ES256" | "Ed25519") {
    this.algorithm = algorithm;
  }

  static async create(algorithm: "ES256" | "Ed25519" = "ES256"): Promise<SoftAuthenticator> {
    const authenticator = new SoftAuthenticator(algorithm);
    const params = algorithm === "ES256" ? { name: "ECDSA", namedCurve: "P-256" } : { name: "Ed25519" };
    authenticator.keys = (await crypto.subtle.generateKey(params, true, ["sign", "verify"])) as CryptoKeyPair;
    return authenticator;
  }

  get id(): string {
    return b64url(this.credentialId);
  }

  private async coseKey(): Promise<Uint8Array> {
    const jwk = (await crypto.subtle.exportKey("jwk", this.keys.publicKey)) as JsonWebKey;
    if (this.algorithm === "ES256")
      return cbor(
        new Map<Cbor, Cbor>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, fromB64url(jwk.x ?? "")],
          [-3, fromB64url(jwk.y ?? "")],
        ]),
      );
    return cbor(
      new Map<Cbor, Cbor>([
        [1, 1],
        [3, -8],
        [-1, 6],
        [-2, fromB64url(jwk.x ?? "")],
      ]),
    );
  }

  private async authData(ceremony: Ceremony, flags: number, attested?: Uint8Array): Promise<Uint8Array> {
    const count = Uint8Array.of(
      this.signCount >>> 24,
      (this.signCount >> 16) & 0xff,
      (this.signCount >> 8) & 0xff,
      this.signCount & 0xff,
    );
    const uv = ceremony.userVerified === false ? 0 : UV;
    return concat(
      await sha256(utf8(ceremony.rpId ?? TEST_RP_ID)),
      Uint8Array.of(flags | UP | uv),
      count,
      attested ?? new Uint8Array(),
    );
  }

  private clientData(type: string, challenge: string, ceremony: Ceremony): Bytes {
    return utf8(
      JSON.stringify({
        type: ceremony.type ?? type,
        challenge: ceremony.challenge ?? challenge,
        origin: ceremony.origin ?? TEST_ORIGIN,
        crossOrigin: false,
      }),
    );
  }

  /** navigator.credentials.create() with the server's options: the RegistrationResponseJSON. */
  async register(options: { challenge: string; user: { id: string } }, ceremony: Ceremony = {}) {
    this.userId = options.user.id;
    const idLength = Uint8Array.of(this.credentialId.length >> 8, this.credentialId.length & 0xff);
    const attested = concat(new Uint8Array(16), idLength, this.credentialId, await this.coseKey());
    const authData = await this.authData(ceremony, AT, attested);
    const attestationObject = cbor(
      new Map<Cbor, Cbor>([
        ["fmt", "none"],
        ["attStmt", new Map()],
        ["authData", authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(this.clientData("webauthn.create", options.challenge, ceremony)),
        attestationObject: b64url(attestationObject),
        transports: ["internal"],
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** navigator.credentials.get() with the server's options: the AuthenticationResponseJSON (the count goes up by one). */
  async assert(options: { challenge: string }, ceremony: Ceremony & { signCount?: number; userHandle?: string } = {}) {
    this.signCount = ceremony.signCount ?? this.signCount + 1;
    const authData = await this.authData(ceremony, 0);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, ceremony);
    const signed = concat(authData, await sha256(clientDataJSON));
    const params = this.algorithm === "ES256" ? { name: "ECDSA", hash: "SHA-256" } : { name: "Ed25519" };
    const raw = new Uint8Array(await crypto.subtle.sign(params, this.keys.privateKey, signed));
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(this.algorithm === "ES256" ? derSignature(raw) : raw),
        userHandle: ceremony.userHandle ?? this.userId,
      },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }
}
