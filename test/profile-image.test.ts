import { describe, expect, it } from "vitest";
import { api, bearer, expectFailure, userWithSession } from "./helpers.ts";

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9]);
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82, 1, 2, 3]);
const WEBP = new Uint8Array([
  ...new TextEncoder().encode("RIFF"),
  26,
  0,
  0,
  0,
  ...new TextEncoder().encode("WEBPVP8 "),
  1,
  2,
  3,
  4,
]);
const GIF = new TextEncoder().encode("GIF89a\u0001\u0000\u0001\u0000");
const SVG = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

function upload(access: string, bytes: Uint8Array, type = "image/png", field = "profile_image") {
  const form = new FormData();
  form.append(field, new File([bytes], "upload.bin", { type }));
  return api("POST", "/profile/upload_profile_image/", { headers: bearer(access), body: form });
}

async function download(access: string) {
  const res = await api("GET", "/profile/download_profile_image/", { headers: bearer(access) });
  return res;
}

async function downloadBytes(access: string) {
  const { exports } = await import("cloudflare:workers");
  const res = await exports.default.fetch(
    new Request("https://api.test/profile/download_profile_image/", { headers: bearer(access) }),
  );
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

describe("profile image", () => {
  it.each([
    ["JPEG", JPEG, "image/jpeg", "jpg"],
    ["PNG", PNG, "image/png", "png"],
    ["WebP", WEBP, "image/webp", "webp"],
  ])("stores a %s and serves back the same bytes with its real type and extension", async (_name, bytes, type, extension) => {
    const { session } = await userWithSession({ first_name: "Asha", last_name: "Rao" });
    // Declared as something else on purpose: the bytes decide.
    const res = await upload(session.access, bytes, "application/octet-stream");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ message: "profile image upload successful", data: "Profile image uploaded successfully" });
    const { res: file, bytes: served } = await downloadBytes(session.access);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe(type);
    expect(file.headers.get("content-disposition")).toContain(`filename="Asha Rao.${extension}"`);
    expect(file.headers.get("cache-control")).toBe("no-store");
    expect(Array.from(served)).toEqual(Array.from(bytes));
  });

  it.each([
    ["a GIF", GIF],
    ["an SVG", SVG],
    ["plain text", new TextEncoder().encode("hello, not an image")],
  ])("refuses %s by its magic bytes with 415, even when declared image/png", async (_name, bytes) => {
    const { session } = await userWithSession();
    const details = expectFailure(await upload(session.access, bytes, "image/png"), 415, "UNSUPPORTED_MEDIA_TYPE");
    expect(details.profile_image).toBeDefined();
  });

  it("refuses a file over 2 MiB with 413", async () => {
    const { session } = await userWithSession();
    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    big.set(PNG);
    expectFailure(await upload(session.access, big), 413, "PAYLOAD_TOO_LARGE");
    const huge = new Uint8Array(3 * 1024 * 1024);
    huge.set(PNG);
    expectFailure(await upload(session.access, huge), 413, "PAYLOAD_TOO_LARGE");
  });

  it("refuses a request without the file, or that is not multipart", async () => {
    const { session } = await userWithSession();
    expectFailure(await upload(session.access, PNG, "image/png", "picture"), 400, "VALIDATION_ERROR");
    const json = await api("POST", "/profile/upload_profile_image/", {
      headers: bearer(session.access),
      json: { profile_image: "x" },
    });
    expectFailure(json, 415, "UNSUPPORTED_MEDIA_TYPE");
    const broken = await api("POST", "/profile/upload_profile_image/", {
      headers: { ...bearer(session.access), "content-type": "multipart/form-data; boundary=nope" },
      body: "this is not multipart",
    });
    expectFailure(broken, 400, "VALIDATION_ERROR");
  });

  it("serves a default SVG avatar by gender until an image is uploaded, and again after delete", async () => {
    const female = await userWithSession({ gender: 1 });
    const male = await userWithSession({ gender: 0 });
    const femaleAvatar = await download(female.session.access);
    expect(femaleAvatar.status).toBe(200);
    expect(femaleAvatar.headers.get("content-type")).toBe("image/svg+xml");
    expect(femaleAvatar.headers.get("content-disposition")).toContain('filename="profile_image.svg"');
    expect(femaleAvatar.text).toContain("<svg");
    expect((await download(male.session.access)).text).not.toBe(femaleAvatar.text);

    expect((await upload(female.session.access, PNG)).status).toBe(200);
    expect((await download(female.session.access)).headers.get("content-type")).toBe("image/png");
    const deleted = await api("DELETE", "/profile/delete_profile_image/", { headers: bearer(female.session.access) });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ success: true, message: "profile image delete successful", data: null, error: null });
    const after = await download(female.session.access);
    expect(after.headers.get("content-type")).toBe("image/svg+xml");
    expect(after.text).toBe(femaleAvatar.text);
  });

  it("needs authentication", async () => {
    expectFailure(await api("GET", "/profile/download_profile_image/"), 401, "NOT_AUTHENTICATED");
    expectFailure(await api("DELETE", "/profile/delete_profile_image/"), 401, "NOT_AUTHENTICATED");
  });
});
