// Patch sampling: per-batch recipes from (seed, index), foreground oversampling, and the batch
// type (labelled / unlabelled / boxes streams) that strategies consume.
export {
  STREAM_NAMES,
  type StreamName,
  type BatchComposition,
  type PatchBox,
  type HostStream,
  type HostBatch,
  type SamplerConfig,
} from "./types.js";
export { batchRecipe, type SampleRecipe } from "./recipe.js";
export { buildSample, type SampleSlot, type SampleSettings } from "./sample.js";
export { buildBatch, batchBuffers, type CaseSource } from "./batch.js";
