// Profile images in R2, one object per user.
const key = (userId: string) => `profile-images/${userId}`;

export interface StoredImage {
  body: ReadableStream;
  contentType: string;
  size: number;
}

export async function putProfileImage(bucket: R2Bucket, userId: string, bytes: ArrayBuffer, contentType: string): Promise<void> {
  await bucket.put(key(userId), bytes, { httpMetadata: { contentType } });
}

export async function getProfileImage(bucket: R2Bucket, userId: string): Promise<StoredImage | null> {
  const object = await bucket.get(key(userId));
  if (!object) return null;
  return { body: object.body, contentType: object.httpMetadata?.contentType ?? "application/octet-stream", size: object.size };
}

export async function deleteProfileImage(bucket: R2Bucket, userId: string): Promise<void> {
  await bucket.delete(key(userId));
}
