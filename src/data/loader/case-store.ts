// Preprocessed cases read from the cache on demand and kept in memory up to a byte budget (least
// recently used first out). Each worker thread has its own store, so the budget is per worker.
import { type CacheHeader, type PreprocessedCase, casePaths, readCaseSync, readHeaderSync } from "../preprocess/index.js";

/** An LRU of cached cases read from `dir`. */
export class CaseStore {
  readonly #dir: string;
  readonly #budget: number;
  readonly #cases = new Map<string, { pc: PreprocessedCase; bytes: number }>();
  readonly #headers = new Map<string, CacheHeader>();
  #bytes = 0;

  /** @param budgetBytes memory for cases (at least the most recent case is always kept) */
  constructor(dir: string, budgetBytes: number) {
    this.#dir = dir;
    this.#budget = budgetBytes;
  }

  /**
   * The case `id`.
   * @throws CacheFormatError when its files are missing or corrupt (run preprocessing again)
   */
  get(id: string): PreprocessedCase {
    const hit = this.#cases.get(id);
    if (hit) {
      this.#cases.delete(id); // re-insert: Map order is the recency order
      this.#cases.set(id, hit);
      return hit.pc;
    }
    let header = this.#headers.get(id);
    if (!header) {
      const h = readHeaderSync(casePaths(this.#dir, id).header);
      if (!h) throw new Error(`Cannot load case ${id}: ${casePaths(this.#dir, id).header} does not exist (was the dataset preprocessed for this plan?)`);
      this.#headers.set(id, (header = h));
    }
    const pc = readCaseSync(this.#dir, header);
    const bytes = header.bytes;
    this.#cases.set(id, { pc, bytes });
    this.#bytes += bytes;
    for (const [k, v] of this.#cases) {
      if (this.#bytes <= this.#budget || k === id) break;
      this.#cases.delete(k);
      this.#bytes -= v.bytes;
    }
    return pc;
  }

  /** Bytes of cases held now. */
  get bytes(): number {
    return this.#bytes;
  }
}
