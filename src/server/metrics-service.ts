// Dice and HD95 of a case's prediction against its label, computed in a worker thread (one at a
// time, so two browser tabs cannot pile up surface-distance jobs) and cached until either file
// changes (size and modification time).
import { stat } from "node:fs/promises";
import { Worker } from "node:worker_threads";
import type { ClassScore, MetricsJob } from "./metrics-worker.js";

/** Scores of one case. */
export interface CaseScores {
  readonly scores: readonly ClassScore[];
  readonly seconds: number;
}

const workerUrl = new URL("./metrics-worker.js", import.meta.url);

async function fingerprint(file: string): Promise<string> {
  const s = await stat(file);
  return `${file}:${s.size}:${s.mtimeMs}`;
}

/** Options of {@link MetricsService}. */
export interface MetricsServiceOptions {
  /** Longest a computation may take before its worker is stopped (ms). @default 120000 */
  readonly timeoutMs?: number;
  /** Heap limit of the worker (MiB). @default 4096 */
  readonly maxHeapMb?: number;
}

export class MetricsService {
  private readonly cache = new Map<string, CaseScores>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: MetricsServiceOptions = {}) {}

  /** Scores `prediction` against `reference` for the given class values (cached). */
  async score(prediction: string, reference: string, classes: readonly number[]): Promise<CaseScores> {
    const key = `${await fingerprint(prediction)}|${await fingerprint(reference)}|${classes.join(",")}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const run = this.queue.then(() => this.compute({ prediction, reference, classes }));
    this.queue = run.catch(() => undefined);
    const result = await run;
    if (this.cache.size > 200) this.cache.clear();
    this.cache.set(key, result);
    return result;
  }

  private compute(job: MetricsJob): Promise<CaseScores> {
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const worker = new Worker(workerUrl, { workerData: job, resourceLimits: { maxOldGenerationSizeMb: this.opts.maxHeapMb ?? 4096 } });
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`metrics took longer than ${(this.opts.timeoutMs ?? 120_000) / 1000} s`));
      }, this.opts.timeoutMs ?? 120_000);
      worker.once("message", (m: { ok: true; scores: ClassScore[] } | { ok: false; message: string }) => {
        clearTimeout(timer);
        void worker.terminate();
        if (m.ok) resolve({ scores: m.scores, seconds: (performance.now() - t0) / 1000 });
        else reject(new RangeError(m.message));
      });
      worker.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }
}
