// Messages between the batch loader and its worker threads.
import type { HostBatch, SamplerConfig } from "../sampling/index.js";

/** Deliberate failures for tests of the error paths (never set in normal runs). */
export interface WorkerFaults {
  /** process.exit(code 3) when asked for this batch index: a dying worker. */
  exitOnBatch?: number;
  /** Throw from a timer (an uncaught exception) when asked for this batch index. */
  crashOnBatch?: number;
}

export interface InitMessage {
  type: "init";
  sampler: SamplerConfig;
  cacheDir: string;
  caseCacheBytes: number;
  faults?: WorkerFaults;
}

export interface BatchRequest {
  type: "batch";
  index: number;
}

export type ToWorker = InitMessage | BatchRequest;

export type FromWorker =
  | { type: "batch"; index: number; batch: HostBatch }
  | { type: "error"; index: number; message: string; stack: string | undefined };
