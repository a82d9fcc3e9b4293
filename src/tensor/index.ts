// The tensor layer's public door. Importing it also attaches the chainable Tensor methods.
import "./methods.js";

export { Tensor, setLeakDebugging, type Device } from "./tensor.js";
export { type DType, type AnyTypedArray, isFloatingDType } from "./dtype.js";
export { tidy, keep, scopeDepth } from "./scope.js";
export { Generator } from "./generator.js";
export { deriveSeed, streamGenerator, seedEverything, type SeedOptions } from "./determinism.js";
export { callOp, callTensor, callTensors, opSchema, type OpArg, type OpResult } from "./dispatch.js";
export {
  setNumThreads,
  numThreads,
  manualSeed,
  setDeterministic,
  engineInfo,
  isGradEnabled,
  noGrad,
  enableGrad,
  memory,
  resetPeakMemory,
  type MemoryInfo,
} from "./engine.js";
export { backwardAll, grad } from "./autograd.js";
export { expectNoLeak, expectNoLeakAsync } from "./testing.js";
export * from "./ops/creation.js";
export * from "./ops/elementwise.js";
export * from "./ops/reduction.js";
export * from "./ops/shape.js";
export * from "./ops/nn-functional.js";
export * from "./ops/loss-functional.js";
export * from "./ops/neighbourhood.js";
export * from "./ops/inplace.js";
export { NativeError } from "../native/index.js";
export { ShapeError } from "./errors.js";
export { toRawTensor, fromRawTensor } from "./raw.js";
export { encodeSafetensors, decodeSafetensors, SafetensorsError, type RawTensor } from "./safetensors.js";
