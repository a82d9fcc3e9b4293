// Loss and similarity primitives built directly on ATen kernels (segmentation losses such as
// Dice live in src/losses and compose these).
import { callTensor } from "../dispatch.js";
import type { Tensor } from "../tensor.js";

export type Reduction = "none" | "mean" | "sum";
const REDUCTION: Readonly<Record<Reduction, number>> = { none: 0, mean: 1, sum: 2 };

function reductionCode(r: Reduction | undefined): number {
  const code = REDUCTION[r ?? "mean"];
  if (code === undefined) throw new TypeError(`reduction must be "none", "mean" or "sum". Received: ${String(r)}`);
  return code;
}

export interface CrossEntropyOptions {
  /** Per-class weights (C). */
  weight?: Tensor | null;
  /** Target value that contributes nothing (and is excluded from the mean). @default -100 */
  ignoreIndex?: number;
  /** @default "mean" */
  reduction?: Reduction;
  /** @default 0 */
  labelSmoothing?: number;
}

/**
 * Cross-entropy from logits.
 * @param logits (N, C, ...) unnormalised scores
 * @param target (N, ...) int64 class indices, or (N, C, ...) class probabilities
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  return callTensor("aten::cross_entropy_loss", [
    logits,
    target,
    opts.weight ?? null,
    reductionCode(opts.reduction),
    opts.ignoreIndex ?? -100,
    opts.labelSmoothing ?? 0,
  ]);
}

/** Negative log-likelihood from log-probabilities (N, C, ...) and int64 targets (N, ...). */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: Omit<CrossEntropyOptions, "labelSmoothing"> = {}): Tensor {
  const op = logProbs.rank > 2 ? "aten::nll_loss_nd" : "aten::nll_loss";
  return callTensor(op, [logProbs, target, opts.weight ?? null, reductionCode(opts.reduction), opts.ignoreIndex ?? -100]);
}

/** Numerically stable binary cross-entropy on logits. */
export function binaryCrossEntropyWithLogits(
  logits: Tensor,
  target: Tensor,
  opts: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  return callTensor("aten::binary_cross_entropy_with_logits", [logits, target, opts.weight ?? null, opts.posWeight ?? null, reductionCode(opts.reduction)]);
}

export const mseLoss = (a: Tensor, b: Tensor, reduction: Reduction = "mean"): Tensor => callTensor("aten::mse_loss", [a, b, reductionCode(reduction)]);
export const l1Loss = (a: Tensor, b: Tensor, reduction: Reduction = "mean"): Tensor => callTensor("aten::l1_loss", [a, b, reductionCode(reduction)]);

/** KL(target ‖ input) with `input` given as log-probabilities (torch's F.kl_div). */
export const klDiv = (logInput: Tensor, target: Tensor, reduction: Reduction = "mean", logTarget = false): Tensor =>
  callTensor("aten::kl_div", [logInput, target, reductionCode(reduction), logTarget]);

/** Cosine similarity along `dim`. */
export const cosineSimilarity = (a: Tensor, b: Tensor, dim = 1, eps = 1e-8): Tensor => callTensor("aten::cosine_similarity", [a, b, dim, eps]);

/** Divides by the p-norm along `dim` (clamped below by eps), as torch's F.normalize. */
export function normalize(x: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  const n = callTensor("aten::norm.ScalarOpt_dim", [x, p, [dim], true]);
  const d = callTensor("aten::clamp_min", [n, eps]);
  const out = callTensor("aten::div.Tensor", [x, d]);
  n.dispose();
  d.dispose();
  return out;
}
