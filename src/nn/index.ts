// The nn layer's public door: Module and layers, initialisers, optimizers, schedules, EMA and
// gradient clipping.
export { Module, type LoadStateDictOptions, type ModuleToOptions } from "./module.js";
export { StateDictError, type StateDictMismatch } from "./state-dict.js";
export type { LayerOptions, Triple } from "./_internal/layer-options.js";
export { Conv3d, type Conv3dOptions } from "./conv3d.js";
export { ConvTranspose3d, type ConvTranspose3dOptions } from "./conv-transpose3d.js";
export { Linear, type LinearOptions } from "./linear.js";
export { BatchNorm3d, type BatchNormOptions } from "./batch-norm3d.js";
export { InstanceNorm3d, type InstanceNormOptions } from "./instance-norm3d.js";
export { GroupNorm, type GroupNormOptions } from "./group-norm.js";
export { Dropout, Dropout3d, type DropoutOptions } from "./dropout.js";
export { ReLU, LeakyReLU, GELU, Sigmoid, Identity } from "./activations.js";
export { Sequential, type Layer } from "./sequential.js";
export * as init from "./init.js";
export { EMA, emaDecay, type EMAOptions } from "./ema.js";
export { clipGradNorm, clipGradValue, type ClipGradNormOptions } from "./clip-grad.js";
export * from "./optim/index.js";
export * from "./state/index.js";
export * from "./networks/index.js";
export * from "./heads/index.js";
