// Bounded concurrency for per-case work: at most `limit` cases in flight, results in input order.
// Case-by-case streaming plus a small limit keeps memory at a few volumes however big the dataset.

/**
 * Runs `fn` over `items` with at most `limit` calls pending at once. After a failure no new item
 * starts; once the items in flight settle it rejects with the failure of the earliest item in input
 * order, so which error a user sees does not depend on which case happened to finish first.
 */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`mapPool: limit must be a positive integer. Received: ${limit}`);
  const out = new Array<R>(items.length);
  let next = 0;
  // Failures of the items that ran (a failure stops new items; the earliest in input order is reported).
  const failures: { index: number; error: unknown }[] = [];
  const worker = async (): Promise<void> => {
    while (failures.length === 0 && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (e) {
        failures.push({ index: i, error: e });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  const earliest = failures.sort((a, b) => a.index - b.index)[0];
  if (earliest) throw earliest.error;
  return out;
}
