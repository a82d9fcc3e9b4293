// The worker-thread entry point: builds batches on request from the cached cases. It imports only
// pure TypeScript (no native addon), so threads start fast and use no libtorch memory.
import { parentPort } from "node:worker_threads";
import { batchBuffers, buildBatch, type SamplerConfig } from "../sampling/index.js";
import { CaseStore } from "./case-store.js";
import type { FromWorker, ToWorker, WorkerFaults } from "./protocol.js";

let sampler: SamplerConfig | null = null;
let store: CaseStore | null = null;
let faults: WorkerFaults = {};

const port = parentPort;
if (!port) throw new Error("src/data/loader/worker.js must run in a worker thread");

port.on("message", (msg: ToWorker) => {
  if (msg.type === "init") {
    sampler = msg.sampler;
    store = new CaseStore(msg.cacheDir, msg.caseCacheBytes);
    faults = msg.faults ?? {};
    return;
  }
  const index = msg.index;
  if (faults.exitOnBatch === index) process.exit(3);
  if (faults.crashOnBatch === index) {
    setTimeout(() => {
      throw new Error(`injected crash while preparing batch ${index}`);
    });
    return;
  }
  let reply: FromWorker;
  let transfer: ArrayBuffer[] = [];
  try {
    if (!sampler || !store) throw new Error("the worker received a batch request before its init message");
    const cases = store;
    const batch = buildBatch(sampler, index, (id) => cases.get(id));
    reply = { type: "batch", index, batch };
    transfer = batchBuffers(batch);
  } catch (e) {
    const err = e as Error;
    reply = { type: "error", index, message: err?.message ?? String(e), stack: err?.stack };
  }
  port.postMessage(reply, transfer);
});
