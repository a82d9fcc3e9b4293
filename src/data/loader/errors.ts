// Errors of the batch loader that training code may catch: a worker thread that died, and a batch
// that could not be built. Both name the batch and say what to try, instead of the hang or the
// bare "background workers are no longer alive" users of other tools report.

/** A worker thread ended (crash, out of memory, exit) while the loader needed it. */
export class WorkerDiedError extends Error {
  override readonly name = "WorkerDiedError";
  constructor(
    /** Worker number (0-based). */
    readonly worker: number,
    /** Batch it was preparing, or null when idle. */
    readonly batchIndex: number | null,
    /** Its exit code, when it exited. */
    readonly exitCode: number | null,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Batch worker ${worker} died${batchIndex === null ? "" : ` while preparing batch ${batchIndex}`}: ${reason}. ` +
        "The data loader stopped. If it ran out of memory, use fewer workers (--workers), a smaller case cache or patch; " +
        "if an augmentation failed, the cause below names it. --workers 0 builds batches on the main thread, where the error's stack is easier to read.",
      options,
    );
  }
}

/** Building a batch threw (a corrupt cache file, a case without channels, ...); the worker is still alive. */
export class BatchBuildError extends Error {
  override readonly name = "BatchBuildError";
  constructor(
    readonly batchIndex: number,
    message: string,
    readonly workerStack?: string,
  ) {
    super(`Cannot build batch ${batchIndex}: ${message}`);
  }
}
