// The routes whose bodies are not JSON, for the body guard. Declared apart from their routers so
// that the app can hand them to the guard without loading a router built on first use.
import { PROFILE_IMAGE_MAX_BYTES } from "../lib/image-type.ts";
import type { UploadRoute } from "../middleware/body-guard.ts";

/** The upload takes multipart, not JSON, and a body as large as an image allows. */
export const profileImageUpload: UploadRoute = {
  path: "/profile/upload_profile_image",
  maxBytes: PROFILE_IMAGE_MAX_BYTES + 64 * 1024,
  mediaType: /^multipart\/form-data$/i,
};

/** Sign in with Apple posts its answer (form_post): the form goes through the body guard as such. */
export const appleCallbackForm: UploadRoute = {
  path: "/auth/oauth/apple/callback",
  maxBytes: 16 * 1024,
  mediaType: /^application\/x-www-form-urlencoded$/i,
};
