// The batch loader: worker threads, a bounded queue, deterministic batches, clear worker errors.
export { BatchLoader, type BatchLoaderOptions } from "./loader.js";
export { CaseStore } from "./case-store.js";
export { WorkerDiedError, BatchBuildError } from "./errors.js";
export type { WorkerFaults } from "./protocol.js";
