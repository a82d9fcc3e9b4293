// Bounded concurrency for per-case work: at most `limit` cases in flight, results in input order.
// Case-by-case streaming plus a small limit keeps memory at a few volumes however big the dataset.

/** Runs `fn` over `items` with at most `limit` calls pending at once; rejects on the first failure. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mapPool: limit must be a positive integer. Received: ${limit}`);
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failed = true; // the other workers finish their current item and stop
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
