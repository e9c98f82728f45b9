// The signed-in user's profile: read, update, and the profile image.
import { createRoute, z } from "@hono/zod-openapi";
import { validationError } from "../lib/errors.ts";
import { requireAuth } from "../middleware/auth.ts";
import { downloadProfileImage, removeProfileImage, uploadProfileImage } from "../services/profile-image-service.ts";
import { getProfile, updateProfileFields } from "../services/profile-service.ts";
import { bearerRoute, errorResponse, jsonBody, jsonContent, successEnvelope } from "./openapi-parts.ts";
import { ok } from "./respond.ts";
import { action, createRouter } from "./router.ts";
import { plainText, profileSchema } from "./schemas.ts";
import { profileImageUpload } from "./upload-routes.ts";

const detailRoute = (method: "get" | "post", path: string) =>
  createRoute(
    bearerRoute({
      method,
      path,
      tags: ["profile"],
      summary: "The user with profile fields and verification flags (one MySQL query)",
      middleware: [action("profile detail"), requireAuth()] as const,
      responses: { 200: jsonContent(successEnvelope(profileSchema), "The profile") },
    }),
  );

const profileUpdateBody = z
  .strictObject({
    phone_number: plainText(32).nullable().optional(),
    address: plainText(100).nullable().optional(),
    city: plainText(100).nullable().optional(),
    state: plainText(100).nullable().optional(),
    postal_code: plainText(100).nullable().optional(),
  })
  .openapi("ProfileUpdateRequest", { example: { address: "12 MG Road", city: "Bengaluru", postal_code: "560001" } });

const updateRoute = (method: "put" | "patch") =>
  createRoute(
    bearerRoute({
      method,
      path: "/profile/update",
      tags: ["profile"],
      summary: "Update address, city, state, postal_code, phone_number (allow-listed)",
      middleware: [action("profile update"), requireAuth()] as const,
      request: jsonBody(profileUpdateBody),
      responses: {
        200: jsonContent(successEnvelope(profileSchema), "The updated profile"),
        400: errorResponse("VALIDATION_ERROR"),
      },
    }),
  );

const uploadRoute = createRoute(
  bearerRoute({
    method: "post",
    path: profileImageUpload.path,
    tags: ["profile"],
    summary: "Upload the profile image: multipart/form-data, file field `profile_image`, JPEG/PNG/WebP, at most 2 MiB",
    middleware: [action("profile image upload"), requireAuth()] as const,
    responses: {
      200: jsonContent(successEnvelope(z.string()), "Stored"),
      400: errorResponse("VALIDATION_ERROR: no profile_image file"),
      413: errorResponse("PAYLOAD_TOO_LARGE: over 2 MiB"),
      415: errorResponse("UNSUPPORTED_MEDIA_TYPE: not multipart, or not a JPEG/PNG/WebP by its bytes"),
    },
  }),
);

const downloadRoute = createRoute(
  bearerRoute({
    method: "get",
    path: "/profile/download_profile_image",
    tags: ["profile"],
    summary: "Download the profile image (its real type), or the default avatar (SVG) when none was uploaded",
    middleware: [action("profile image load"), requireAuth()] as const,
    responses: {
      200: {
        description: "The image bytes, as an attachment named after the user",
        content: { "image/*": { schema: z.string().openapi({ format: "binary" }) } },
      },
    },
  }),
);

const deleteImageRoute = createRoute(
  bearerRoute({
    method: "delete",
    path: "/profile/delete_profile_image",
    tags: ["profile"],
    summary: "Delete the profile image: the default avatar is served again",
    middleware: [action("profile image delete"), requireAuth()] as const,
    responses: { 200: jsonContent(successEnvelope(z.null()), "Deleted") },
  }),
);

const router = createRouter();
for (const [method, path] of [
  ["post", "/profile/detail"],
  ["get", "/profile"],
] as const) {
  router.openapi(detailRoute(method, path), async (c) => ok(c, await getProfile(c.var.deps, c.var.auth.sub), 200));
}
for (const method of ["put", "patch"] as const) {
  router.openapi(updateRoute(method), async (c) => {
    const profile = await updateProfileFields(c.var.deps, c.var.auth.sub, c.req.valid("json"));
    return ok(c, profile, 200);
  });
}

export const profileRoutes = router
  .openapi(uploadRoute, async (c) => {
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      throw validationError({ profile_image: ["Malformed multipart/form-data body."] });
    }
    await uploadProfileImage(c.var.deps, c.var.auth.sub, form.get("profile_image"));
    return ok(c, "Profile image uploaded successfully", 200);
  })
  .openapi(downloadRoute, async (c) => {
    const image = await downloadProfileImage(c.var.deps, c.var.auth.sub);
    return c.body(image.body, 200, {
      "Content-Type": image.contentType,
      "Content-Disposition": `attachment; filename="${image.fileName}"; filename*=UTF-8''${encodeURIComponent(image.fileName)}`,
      "X-Default-Avatar": String(image.isDefault),
    }) as never;
  })
  .openapi(deleteImageRoute, async (c) => {
    await removeProfileImage(c.var.deps, c.var.auth.sub);
    return ok(c, null, 200);
  });
