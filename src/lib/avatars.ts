// Default avatars by gender (0 male, 1 female, 2 other), served when no image was uploaded.
const COLOURS = ["#3b82f6", "#ec4899", "#8b5cf6"] as const;

export function defaultAvatar(gender: number): string {
  const colour = COLOURS[gender] ?? COLOURS[2];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256"><rect width="256" height="256" fill="${colour}"/><circle cx="128" cy="100" r="48" fill="#ffffff"/><path d="M48 224c0-44 36-72 80-72s80 28 80 72z" fill="#ffffff"/></svg>`;
}
