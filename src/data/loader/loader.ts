// The batch loader: worker threads build batches ahead of the training loop, in a bounded queue.
// Batch k is a pure function of (sampler config, k), so whichever worker builds it and whenever,
// training sees the same sequence; the loader only hands batches out in index order. A worker that
// dies rejects the pending and every later next() with a WorkerDiedError — never a hang.
import { Worker } from "node:worker_threads";
import { type HostBatch, type SamplerConfig, buildBatch } from "../sampling/index.js";
import { CaseStore } from "./case-store.js";
import { BatchBuildError, WorkerDiedError } from "./errors.js";
import type { FromWorker, InitMessage, WorkerFaults } from "./protocol.js";

/** Options of {@link BatchLoader}. */
export interface BatchLoaderOptions {
  sampler: SamplerConfig;
  /** Folder of preprocessed cases. */
  cacheDir: string;
  /** Worker threads; 0 builds batches on the calling thread when next() is called. @default 2 */
  workers?: number;
  /** Batches requested ahead of the consumer (the queue bound). @default 2 × workers */
  prefetch?: number;
  /** Index of the first batch (a resumed run passes its saved sampler position). @default 0 */
  startIndex?: number;
  /** Memory for cached cases per worker. @default 512 MiB */
  caseCacheBytes?: number;
  /** V8 heap limit per worker in MiB (typed arrays are outside it). @default Node's default */
  workerHeapMiB?: number;
  /** Reject next() after this long without a batch (a stuck worker). @default 600000 (10 min) */
  timeoutMs?: number;
  /** Test-only fault injection. */
  faults?: WorkerFaults;
}

interface Slot {
  worker: Worker;
  id: number;
  busy: number | null;
  exited: boolean;
}

/**
 * Prepares batches in worker threads.
 * @example
 * const loader = new BatchLoader({ sampler, cacheDir, workers: 2, startIndex: 0 });
 * try { for (let i = 0; i < 100; i++) train(await loader.next()); } finally { await loader.close(); }
 */
export class BatchLoader {
  readonly #opts: BatchLoaderOptions;
  readonly #slots: Slot[] = [];
  readonly #ready = new Map<number, HostBatch>();
  readonly #inline: CaseStore | null;
  readonly #prefetch: number;
  #nextRequest: number;
  #nextDeliver: number;
  #failure: Error | null = null;
  #waiter: { resolve: (b: HostBatch) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | null } | null = null;
  #closing = false;

  constructor(opts: BatchLoaderOptions) {
    this.#opts = opts;
    const workers = opts.workers ?? 2;
    if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`BatchLoader: workers must be a non-negative integer. Received: ${workers}`);
    this.#prefetch = Math.max(1, opts.prefetch ?? 2 * workers);
    this.#nextRequest = this.#nextDeliver = opts.startIndex ?? 0;
    const budget = opts.caseCacheBytes ?? 512 * 1024 * 1024;
    this.#inline = workers === 0 ? new CaseStore(opts.cacheDir, budget) : null;
    for (let id = 0; id < workers; id++) this.#spawn(id, budget);
    this.#pump();
  }

  /** Index of the batch the next call to next() returns (the sampler position to checkpoint). */
  get position(): number {
    return this.#nextDeliver;
  }

  #spawn(id: number, budget: number): void {
    const worker = new Worker(new URL("./worker.js", import.meta.url), {
      ...(this.#opts.workerHeapMiB ? { resourceLimits: { maxOldGenerationSizeMb: this.#opts.workerHeapMiB } } : {}),
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, id, busy: null, exited: false };
    const init: InitMessage = { type: "init", sampler: this.#opts.sampler, cacheDir: this.#opts.cacheDir, caseCacheBytes: budget, ...(this.#opts.faults ? { faults: this.#opts.faults } : {}) };
    worker.postMessage(init);
    worker.on("message", (m: FromWorker) => this.#onMessage(slot, m));
    worker.on("error", (e) => {
      slot.exited = true; // an uncaught exception ends the thread
      this.#fail(new WorkerDiedError(id, slot.busy, null, `uncaught ${e.name}: ${e.message}`, { cause: e }));
    });
    worker.on("messageerror", (e) => {
      slot.exited = true; // its batch is lost: retire the worker rather than wait for it
      void worker.terminate();
      this.#fail(new WorkerDiedError(id, slot.busy, null, `a message could not be deserialised (${e.message})`, { cause: e }));
    });
    worker.on("exit", (code) => {
      slot.exited = true;
      if (!this.#closing) this.#fail(new WorkerDiedError(id, slot.busy, code, `the thread exited with code ${code}`));
    });
    this.#slots.push(slot);
  }

  #onMessage(slot: Slot, m: FromWorker): void {
    slot.busy = null;
    if (m.type === "error") {
      this.#fail(new BatchBuildError(m.index, m.message, m.stack));
      return;
    }
    this.#ready.set(m.index, m.batch);
    this.#pump();
    this.#deliver();
  }

  /** Keeps every idle worker busy while fewer than `prefetch` batches are requested or ready. */
  #pump(): void {
    if (this.#failure || this.#closing) return;
    for (const slot of this.#slots) {
      if (slot.busy !== null || slot.exited) continue;
      if (this.#nextRequest - this.#nextDeliver >= this.#prefetch) break;
      slot.busy = this.#nextRequest++;
      slot.worker.postMessage({ type: "batch", index: slot.busy });
    }
  }

  /** Resolves a waiting next() with the next batch in order, or rejects it once that batch cannot come. */
  #deliver(): void {
    const w = this.#waiter;
    if (!w) return;
    const b = this.#ready.get(this.#nextDeliver);
    if (b) {
      this.#ready.delete(this.#nextDeliver++);
      this.#waiter = null;
      if (w.timer) clearTimeout(w.timer);
      w.resolve(b);
      this.#pump();
      return;
    }
    // After a failure, batches already built or still in flight on a live worker are handed out
    // in order; the error surfaces at the first batch that can no longer come.
    if (this.#failure && !this.#inFlight(this.#nextDeliver)) {
      this.#waiter = null;
      if (w.timer) clearTimeout(w.timer);
      w.reject(this.#failure);
    }
  }

  #inFlight(index: number): boolean {
    return this.#slots.some((s) => !s.exited && s.busy === index);
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    this.#deliver();
  }

  /**
   * The next batch in index order.
   * @throws WorkerDiedError, BatchBuildError, or an Error after `timeoutMs` without a batch
   */
  next(): Promise<HostBatch> {
    if (this.#closing) return Promise.reject(new Error("BatchLoader: next() after close()"));
    if (this.#failure && !this.#ready.has(this.#nextDeliver) && !this.#inFlight(this.#nextDeliver)) return Promise.reject(this.#failure);
    if (this.#waiter) return Promise.reject(new Error("BatchLoader: next() called again before the previous batch arrived"));
    if (this.#inline) {
      try {
        const store = this.#inline;
        return Promise.resolve(buildBatch(this.#opts.sampler, this.#nextDeliver++, (id) => store.get(id)));
      } catch (e) {
        return Promise.reject(e instanceof Error ? new BatchBuildError(this.#nextDeliver - 1, e.message, e.stack) : e);
      }
    }
    return new Promise<HostBatch>((resolve, reject) => {
      const ms = this.#opts.timeoutMs ?? 600_000;
      const index = this.#nextDeliver;
      const timer = setTimeout(() => {
        this.#waiter = null;
        reject(new Error(`BatchLoader: no batch ${index} after ${ms / 1000} s; the workers are alive but stuck (a pathological case or augmentation?)`));
      }, ms);
      this.#waiter = { resolve, reject, timer };
      this.#deliver();
    });
  }

  /** Stops the workers and waits for them to exit. Idempotent. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      if (w.timer) clearTimeout(w.timer);
      w.reject(new Error("BatchLoader closed while waiting for a batch"));
    }
    await Promise.all(this.#slots.filter((s) => !s.exited).map((s) => s.worker.terminate()));
    this.#ready.clear();
  }
}
