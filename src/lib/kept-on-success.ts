// Per-isolate work made once and kept: the first call starts it, later calls share its promise. A
// failure is not kept (the next call tries again), so one bad moment does not last the isolate's life.
export function keptOnSuccess<T>(make: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return () => {
    kept ??= make().catch((error: unknown) => {
      kept = undefined;
      throw error;
    });
    return kept;
  };
}
