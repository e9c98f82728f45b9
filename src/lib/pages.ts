// Keyset listings read one row more than a page: that row says whether another page follows,
// without a COUNT. Every listing of the API splits its rows here.

/** The page, and its last row when another page follows (the position to continue after). */
export function splitPage<T>(rows: T[], limit: number): { page: T[]; last: T | undefined } {
  const page = rows.slice(0, limit);
  return { page, last: rows.length > limit ? page.at(-1) : undefined };
}
