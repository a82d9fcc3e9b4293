// Neural-network functions: convolutions, pooling, resampling, normalisation, activations, dropout.
import { callTensor } from "../dispatch.js";
import { ShapeError } from "../errors.js";
import type { Generator } from "../generator.js";
import type { Tensor } from "../tensor.js";

type Triple = number | readonly [number, number, number];

export interface Conv3dOptions {
  /** @default 1 */
  stride?: Triple;
  /** @default 0 */
  padding?: Triple;
  /** @default 1 */
  dilation?: Triple;
  /** @default 1 */
  groups?: number;
}

function rank5(op: string, x: Tensor): void {
  if (x.rank !== 5) throw new ShapeError(op, "rank 5 (N, C, D, H, W)", x.shape);
}

/**
 * 3-D convolution.
 * @param input (N, Cin, D, H, W)
 * @param weight (Cout, Cin/groups, kD, kH, kW)
 * @returns (N, Cout, D', H', W')
 */
export function conv3d(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv3dOptions = {}): Tensor {
  rank5("conv3d", input);
  return callTensor("aten::conv3d", [input, weight, bias, opts.stride ?? 1, opts.padding ?? 0, opts.dilation ?? 1, opts.groups ?? 1]);
}

export interface ConvTranspose3dOptions extends Conv3dOptions {
  /** @default 0 */
  outputPadding?: Triple;
}

/**
 * Transposed 3-D convolution (learned upsampling).
 * @param input (N, Cin, D, H, W)
 * @param weight (Cin, Cout/groups, kD, kH, kW)
 */
export function convTranspose3d(input: Tensor, weight: Tensor, bias: Tensor | null = null, opts: ConvTranspose3dOptions = {}): Tensor {
  rank5("convTranspose3d", input);
  return callTensor("aten::conv_transpose3d.input", [
    input,
    weight,
    bias,
    opts.stride ?? 1,
    opts.padding ?? 0,
    opts.outputPadding ?? 0,
    opts.groups ?? 1,
    opts.dilation ?? 1,
  ]);
}

/** y = x Wᵀ + b; x (..., in), weight (out, in). */
export const linear = (x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor => callTensor("aten::linear", [x, weight, bias]);

export interface Pool3dOptions {
  /** @default kernelSize */
  stride?: Triple;
  /** @default 0 */
  padding?: Triple;
  /** @default false */
  ceilMode?: boolean;
}

export function maxPool3d(x: Tensor, kernelSize: Triple, opts: Pool3dOptions & { dilation?: Triple } = {}): Tensor {
  rank5("maxPool3d", x);
  return callTensor("aten::max_pool3d", [x, kernelSize, opts.stride ?? [], opts.padding ?? 0, opts.dilation ?? 1, opts.ceilMode ?? false]);
}

export function avgPool3d(x: Tensor, kernelSize: Triple, opts: Pool3dOptions & { countIncludePad?: boolean } = {}): Tensor {
  rank5("avgPool3d", x);
  return callTensor("aten::avg_pool3d", [x, kernelSize, opts.stride ?? [], opts.padding ?? 0, opts.ceilMode ?? false, opts.countIncludePad ?? true]);
}

export function adaptiveAvgPool3d(x: Tensor, outputSize: Triple): Tensor {
  return callTensor("aten::adaptive_avg_pool3d", [x, outputSize]);
}

export interface InterpolateOptions {
  /** Output (D, H, W); give this or scaleFactor. */
  size?: readonly [number, number, number];
  scaleFactor?: number | readonly [number, number, number];
  /** @default "trilinear" */
  mode?: "trilinear" | "nearest";
  /** Trilinear only. @default false */
  alignCorners?: boolean;
}

/** Resamples a (N, C, D, H, W) tensor, as torch's F.interpolate. */
export function interpolate(x: Tensor, opts: InterpolateOptions): Tensor {
  rank5("interpolate", x);
  if ((opts.size === undefined) === (opts.scaleFactor === undefined)) {
    throw new TypeError("interpolate(): give exactly one of size and scaleFactor");
  }
  const scales = opts.scaleFactor === undefined ? null : typeof opts.scaleFactor === "number" ? [opts.scaleFactor, opts.scaleFactor, opts.scaleFactor] : opts.scaleFactor;
  const size = opts.size ?? null;
  if ((opts.mode ?? "trilinear") === "nearest") return callTensor("aten::upsample_nearest3d.vec", [x, size, scales]);
  return callTensor("aten::upsample_trilinear3d.vec", [x, size, opts.alignCorners ?? false, scales]);
}

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  /** Use batch statistics and update the running ones. @default false */
  training?: boolean;
  /** @default 0.1 */
  momentum?: number;
  /** @default 1e-5 */
  eps?: number;
}

/** Batch normalisation over (N, spatial) per channel; running stats are updated in place when training. */
export function batchNorm(x: Tensor, opts: BatchNormOptions = {}): Tensor {
  return callTensor("aten::batch_norm", [
    x,
    opts.weight ?? null,
    opts.bias ?? null,
    opts.runningMean ?? null,
    opts.runningVar ?? null,
    opts.training ?? false,
    opts.momentum ?? 0.1,
    opts.eps ?? 1e-5,
    true,
  ]);
}

/** Instance normalisation: per sample and channel over the spatial dims. */
export function instanceNorm(x: Tensor, opts: Omit<BatchNormOptions, "training"> & { useInputStats?: boolean } = {}): Tensor {
  return callTensor("aten::instance_norm", [
    x,
    opts.weight ?? null,
    opts.bias ?? null,
    opts.runningMean ?? null,
    opts.runningVar ?? null,
    opts.useInputStats ?? true,
    opts.momentum ?? 0.1,
    opts.eps ?? 1e-5,
    true,
  ]);
}

export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return callTensor("aten::group_norm", [x, numGroups, weight, bias, eps, true]);
}

export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  return callTensor("aten::layer_norm", [x, normalizedShape, weight, bias, eps, true]);
}

export const relu = (x: Tensor): Tensor => callTensor("aten::relu", [x]);
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => callTensor("aten::leaky_relu", [x, negativeSlope]);
export const gelu = (x: Tensor, approximate: "none" | "tanh" = "none"): Tensor => callTensor("aten::gelu", [x, approximate]);
export const sigmoid = (x: Tensor): Tensor => callTensor("aten::sigmoid", [x]);
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => callTensor("aten::softplus", [x, beta, threshold]);
export const softmax = (x: Tensor, dim: number): Tensor => callTensor("aten::softmax.int", [x, dim]);
export const logSoftmax = (x: Tensor, dim: number): Tensor => callTensor("aten::log_softmax.int", [x, dim]);

/**
 * Inverted dropout: zeroes elements with probability p and scales the rest by 1/(1-p) when
 * training; identity otherwise. With a generator the mask is reproducible.
 */
export function dropout(x: Tensor, p: number, training: boolean, generator?: Generator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`dropout(): p must be in [0, 1]. Received: ${p}`);
  if (!training || p === 0) return callTensor("aten::alias", [x]);
  if (p === 1) return callTensor("aten::mul.Scalar", [x, 0]);
  if (!generator) return callTensor("aten::dropout", [x, p, true]);
  const ones = callTensor("aten::ones_like", [x]);
  const keepMask = callTensor("aten::bernoulli.p", [ones, 1 - p, generator]);
  const scale = callTensor("aten::div.Scalar", [keepMask, 1 - p]);
  const out = callTensor("aten::mul.Tensor", [x, scale]);
  for (const t of [ones, keepMask, scale]) t.dispose();
  return out;
}
