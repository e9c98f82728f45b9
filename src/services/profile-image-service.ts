// Profile images: upload (JPEG/PNG/WebP by magic bytes, at most 2 MiB), download with the real
// type and a matching file name, and delete (back to the default avatar).
import type { Deps } from "../deps.ts";
import { defaultAvatar } from "../lib/avatars.ts";
import { AppError, invalidTokenError, validationError } from "../lib/errors.ts";
import { detectImageType, extensionOf, PROFILE_IMAGE_MAX_BYTES } from "../lib/image-type.ts";
import { log } from "../lib/log.ts";
import { deleteProfileImage, getProfileImage, putProfileImage } from "../stores/image-store.ts";

function bucket(deps: Pick<Deps, "images">): R2Bucket {
  if (!deps.images) {
    log.error("config_error", { variable: "PROFILE_IMAGES", problem: "R2 bucket binding missing" });
    throw new AppError("CONFIG_ERROR");
  }
  return deps.images;
}

export async function uploadProfileImage(deps: Pick<Deps, "images" | "users">, userId: string, file: unknown): Promise<void> {
  if (!(file instanceof File) || file.size === 0) throw validationError({ profile_image: ["Image not provided."] });
  if (file.size > PROFILE_IMAGE_MAX_BYTES) throw new AppError("PAYLOAD_TOO_LARGE");
  const bytes = await file.arrayBuffer();
  const type = detectImageType(new Uint8Array(bytes, 0, Math.min(bytes.byteLength, 16)));
  if (!type) {
    throw new AppError("UNSUPPORTED_MEDIA_TYPE", { details: { profile_image: ["Only JPEG, PNG or WebP images are accepted."] } });
  }
  if (!(await deps.users.findById(userId))) throw invalidTokenError();
  await putProfileImage(bucket(deps), userId, bytes, type.contentType);
}

/** A file name safe inside a quoted header value: no quotes, separators or control characters. */
function safeFileName(name: string): string {
  return (
    name
      .replace(/[\u0000-\u001f\u007f"\\/:;*?<>|]/g, "")
      .trim()
      .slice(0, 100) || "profile_image"
  );
}

export async function downloadProfileImage(deps: Pick<Deps, "images" | "users">, userId: string) {
  const [row, image] = await Promise.all([deps.users.findById(userId), getProfileImage(bucket(deps), userId)]);
  if (!row) {
    await image?.body.cancel();
    throw invalidTokenError();
  }
  const base = safeFileName(`${row.firstName} ${row.lastName}`.trim());
  if (image)
    return {
      body: image.body,
      contentType: image.contentType,
      fileName: `${base}.${extensionOf(image.contentType)}`,
      isDefault: false,
    };
  return { body: defaultAvatar(row.gender), contentType: "image/svg+xml", fileName: `${base}.svg`, isDefault: true };
}

export async function removeProfileImage(deps: Pick<Deps, "config" | "images">, userId: string): Promise<void> {
  await deleteProfileImage(bucket(deps), userId);
}
