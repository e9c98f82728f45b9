// What routes that add or remove a way to sign in share: the optional body that proves a recent
// sign-in is not needed (password, and a second factor while 2FA is on), and optional JSON bodies.
import { z } from "@hono/zod-openapi";
import type { Reauthentication } from "../services/recent-sign-in.ts";
import { AT_MOST_ONE_PROOF, atMostOneProof, optionalProofFields, optionalProofOf } from "./two-factor.ts";

export const reauthBody = z
  .strictObject({ password: z.string().min(1).max(1024).optional(), ...optionalProofFields })
  .refine(atMostOneProof, AT_MOST_ONE_PROOF)
  .openapi("Reauthentication");
export type ReauthBody = { password?: string; code?: string; recovery_code?: string };
export const reauthOf = (body: ReauthBody): Reauthentication => ({ password: body.password, proof: optionalProofOf(body) });

export const REAUTH =
  "REAUTHENTICATION_REQUIRED: the session began over 10 minutes ago; send `password` (and, while 2FA is on, `code` or `recovery_code`)";

/** A JSON body that may be left out (documented as optional). */
export const optionalJson = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: false },
});

/** An optional JSON body: validated when present, {} when absent (zod-openapi's types do not model it). */
export const optionalBody = <T>(req: { valid: unknown }): T =>
  ((req.valid as (target: "json") => T | undefined).call(req, "json") ?? {}) as T;
