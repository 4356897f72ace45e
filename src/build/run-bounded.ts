import { availableParallelism } from "node:os";

/**
 * Map `items` through `fn` with at most `limit` running at once (default: one per core, since
 * layer writing is gzip-bound), keeping the input order in the result. The first failure rejects;
 * items not yet started are skipped.
 */
export async function runBounded<T, R>(items: readonly T[], limit: number | undefined, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const max = Math.max(1, limit ?? availableParallelism());
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(max, items.length) }, worker));
  return results;
}
