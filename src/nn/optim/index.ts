// Optimizers and learning-rate schedules (re-exported by src/nn/index.ts).
export { Optimizer, type Hyper, type ParamGroup, type ParamState, type OptimizerState } from "./optimizer.js";
export { SGD, type SGDHyper, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamHyper, type AdamOptions } from "./adam.js";
export * from "./schedules.js";
