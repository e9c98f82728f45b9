// The browser's WebAuthn JSON as request bodies carry it (what @simplewebauthn/browser or
// PublicKeyCredential.toJSON() gives): shapes and sizes checked here, everything else by the
// library. Fields browsers add beyond these are let through and ignored.
import { z } from "@hono/zod-openapi";

const base64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, "Must be base64url.");
const TRANSPORTS = ["ble", "cable", "hybrid", "internal", "nfc", "smart-card", "usb"] as const;

const credentialFields = {
  id: base64url(1400),
  rawId: base64url(1400),
  type: z.literal("public-key"),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(["platform", "cross-platform"]).optional(),
};

export const registrationResponse = z
  .looseObject({
    ...credentialFields,
    response: z.looseObject({
      clientDataJSON: base64url(8192),
      attestationObject: base64url(16_384),
      transports: z.array(z.enum(TRANSPORTS)).max(10).optional(),
    }),
  })
  .openapi("PasskeyRegistrationResponse", { description: "The browser's RegistrationResponseJSON" });

export const authenticationResponse = z
  .looseObject({
    ...credentialFields,
    response: z.looseObject({
      clientDataJSON: base64url(8192),
      authenticatorData: base64url(8192),
      signature: base64url(2048),
      userHandle: base64url(512).optional(),
    }),
  })
  .openapi("PasskeyAuthenticationResponse", { description: "The browser's AuthenticationResponseJSON" });
