// Cross-entropy for segmentation: the ATen kernel per voxel, then our own reduction so that voxel
// masks compose with class weights and ignored labels, and an all-ignored batch gives 0, not NaN.
import { type Tensor, crossEntropy, index, tensor, tidy, where } from "../tensor/index.js";
import { checkLogits, classTarget, isLabelMap, labelMap, voxelWeights } from "./_internal/targets.js";

export interface CrossEntropyLossOptions {
  /** Per-class weights (C), as torch's `weight`. */
  classWeights?: Tensor | readonly number[] | null;
  /** Label that contributes nothing (integer label maps only). @default null (none) */
  ignoreIndex?: number | null;
  /** Mix the one-hot target with the uniform distribution by this amount. @default 0 */
  labelSmoothing?: number;
  /** Voxels that count: (N, ...spatial) or (N, 1, ...spatial); zero excludes a voxel, other values weight it. */
  mask?: Tensor | null;
  /** @default "mean" */
  reduction?: "mean" | "sum" | "none";
}

// torch's own default ignore_index: no real label map uses it.
const NO_IGNORE = -100;

/**
 * Cross-entropy from logits. "mean" divides the (masked) sum of voxel losses by the (masked) sum of
 * the target classes' weights, which is torch's mean when there is no mask; for per-class
 * (probability) targets it divides by the (masked) voxel count, as torch does.
 *
 * When no voxel counts (all ignored or masked out) "mean" returns exactly 0 with a zero gradient,
 * where torch returns NaN.
 * @param logits (N, C, ...spatial)
 * @param target int label map (N, ...spatial) or (N, 1, ...spatial), or class probabilities (N, C, ...spatial)
 * @returns a scalar, or (N, ...spatial) voxel losses ("none", masked voxels 0)
 * @example const loss = crossEntropyLoss(logits, labels, { ignoreIndex: 255, classWeights: [0.2, 1, 1] });
 */
export function crossEntropyLoss(logits: Tensor, target: Tensor, opts: CrossEntropyLossOptions = {}): Tensor {
  const op = "crossEntropyLoss";
  checkLogits(op, logits);
  const reduction = opts.reduction ?? "mean";
  if (!["mean", "sum", "none"].includes(reduction)) throw new RangeError(`${op}: reduction must be "mean", "sum" or "none". Received: ${String(reduction)}`);
  const smoothing = opts.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) throw new RangeError(`${op}: labelSmoothing must be in [0, 1]. Received: ${smoothing}`);
  const classes = logits.shape[1] as number;

  return tidy(() => {
    const weight = classWeights(op, opts.classWeights, classes, logits);
    const labels = isLabelMap(target);
    if (!labels && opts.ignoreIndex !== null && opts.ignoreIndex !== undefined) {
      throw new TypeError(`Cannot run ${op}: ignoreIndex applies to integer label maps; give probability targets a mask instead`);
    }
    const ignore = opts.ignoreIndex ?? NO_IGNORE;
    const t = labels ? labelMap(op, logits, target) : classTarget(op, logits, target);
    let perVoxel = crossEntropy(logits, t, { weight, ignoreIndex: ignore, labelSmoothing: smoothing, reduction: "none" });
    const mask = opts.mask ? voxelWeights(op, logits, opts.mask).squeeze(1) : null;
    if (mask) perVoxel = perVoxel.mul(mask);
    if (reduction === "none") return perVoxel;
    const total = perVoxel.sum();
    if (reduction === "sum") return total;

    // The mean's denominator: Σ mask · weight[target] over voxels that are not ignored.
    let count: Tensor;
    if (labels) {
      const keep = t.ne(ignore);
      const w = weight ? index(weight, [where(keep, t, 0)]) : keep.to(logits.dtype);
      const counted = weight ? w.mul(keep) : w;
      count = (mask ? counted.mul(mask) : counted).sum();
    } else {
      count = mask ? mask.sum() : tensor(perVoxel.size, [], { dtype: logits.dtype });
    }
    return total.div(where(count.gt(0), count, 1));
  });
}

function classWeights(op: string, w: Tensor | readonly number[] | null | undefined, classes: number, logits: Tensor): Tensor | null {
  if (w === null || w === undefined) return null;
  const t = Array.isArray(w) ? tensor(w as readonly number[], [w.length], { dtype: logits.dtype }) : (w as Tensor).to(logits.dtype);
  if (t.rank !== 1 || t.shape[0] !== classes) throw new RangeError(`${op}: classWeights must hold one weight per class (${classes}). Received: shape=[${t.shape.join(",")}]`);
  return t;
}

/**
 * crossEntropyLoss with fixed options; per-call options override them. Class weights given as a
 * Tensor are borrowed (the caller keeps ownership).
 * @example const ce = new CrossEntropyLoss({ ignoreIndex: 255 }); const loss = ce.forward(logits, labels);
 */
export class CrossEntropyLoss {
  constructor(readonly options: Readonly<CrossEntropyLossOptions> = {}) {}

  /** @see crossEntropyLoss */
  forward(logits: Tensor, target: Tensor, overrides: CrossEntropyLossOptions = {}): Tensor {
    return crossEntropyLoss(logits, target, { ...this.options, ...overrides });
  }
}
