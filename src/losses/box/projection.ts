// The projection (multiple-instance) term of box supervision: along every line through a tight box
// some voxel is the organ and along every line missing it none is, so the max-projection of the
// predicted foreground must equal the projection of the box mask.
import { type Tensor, ShapeError, tidy, where } from "../../tensor/index.js";
import { type BoxActivation, foregroundProbabilities, organChannels } from "./probabilities.js";
import { entryWeightTensor } from "./regions.js";

export interface ProjectionLossOptions {
  /** See probabilities.ts: softmax logits (N, K+1, ...), sigmoid logits or probabilities (N, K, ...). @default "softmax" */
  activation?: BoxActivation;
  /**
   * "profile": per axis, the 1-D profile max over the other two axes (the authors' code). It is exact
   * for a tight box: every slice through the box holds some organ voxel.
   * "plane": per axis, the 2-D max-projection onto the plane of the other two. Stronger, but it asks
   * every line through the box's footprint to hit the organ, which a non-box shape does not do.
   * @default "profile"
   */
  projection?: "profile" | "plane";
  /** Added to 2Σxt. @default 0 (the recipe's Dice) */
  smoothNumerator?: number;
  /** Added to Σx² + Σt². @default 1e-5 */
  smoothDenominator?: number;
  /**
   * Per (sample) or (sample, organ) weights, (N) or (N, K); 0 excludes an entry, e.g. samples
   * without box annotation or organs not annotated in a case. @default all 1
   */
  weights?: Tensor | null;
  /**
   * Entries (weight > 0) whose box mask is empty, i.e. an annotated organ absent from the patch:
   * "ignore" leaves them out (the recipe: no box, no projection term); "penalise" scores them by the
   * mean squared projection Σ_axes mean(x²), pushing the projection to the empty box projection. (A
   * Dice against an empty target is constant 1 without numerator smoothing, and saturates with it.)
   * @default "ignore"
   */
  absent?: "ignore" | "penalise";
  /** "mean" over the counted (sample, organ) entries, weighted; "none": the (N, K) losses, 0 where not counted. @default "mean" */
  reduction?: "mean" | "none";
}

/**
 * Projection loss L = Σ_axis Dice(max_axis(p), max_axis(b)), Dice(x, t) = 1 − (2Σxt + s_n) / (Σx² + Σt² + s_d),
 * per (sample, organ) with a box, then the weighted mean over those entries.
 * If no entry counts the loss is exactly 0 with a zero gradient.
 * - Paper: Du et al., weakly supervised segmentation from 3D boxes, IEEE TMI 2023, arXiv:2302.02125 (projection term)
 * - Paper: Tian et al., BoxInst, CVPR 2021, arXiv:2012.02310 (projection loss in 2-D)
 * @param logits (N, K+1, D, H, W) softmax logits, or (N, K, D, H, W) sigmoid logits / probabilities
 * @param boxMask (N, K, D, H, W) 1 inside organ k's box (any values > 0 count as inside)
 * @returns a scalar ("mean") or (N, K) ("none")
 * @example const loss = projectionLoss(logits, masks.mask, { weights: annotated });
 */
export function projectionLoss(logits: Tensor, boxMask: Tensor, opts: ProjectionLossOptions = {}): Tensor {
  const op = "projectionLoss";
  const activation = opts.activation ?? "softmax";
  if (boxMask.rank !== 5) throw new ShapeError(op, "a box mask (N, K, D, H, W)", boxMask.shape);
  const [N, K] = boxMask.shape as [number, number];
  organChannels(op, logits, activation, K);
  if (logits.shape[0] !== N || logits.shape.slice(2).some((s, i) => s !== boxMask.shape[i + 2])) {
    throw new ShapeError(op, `a box mask matching the logits' batch and spatial size [${logits.shape.join(",")}]`, boxMask.shape);
  }
  const projection = opts.projection ?? "profile";
  if (projection !== "profile" && projection !== "plane") throw new RangeError(`${op}: projection must be "profile" or "plane". Received: ${String(projection)}`);
  const absent = opts.absent ?? "ignore";
  if (absent !== "ignore" && absent !== "penalise") throw new RangeError(`${op}: absent must be "ignore" or "penalise". Received: ${String(absent)}`);
  const reduction = opts.reduction ?? "mean";
  if (reduction !== "mean" && reduction !== "none") throw new RangeError(`${op}: reduction must be "mean" or "none". Received: ${String(reduction)}`);
  const sn = opts.smoothNumerator ?? 0;
  const sd = opts.smoothDenominator ?? 1e-5;
  if (!(sn >= 0) || !(sd >= 0)) throw new RangeError(`${op}: smoothNumerator and smoothDenominator must be >= 0. Received: ${sn}, ${sd}`);

  return tidy(() => {
    const p = foregroundProbabilities(logits, activation);
    const b = boxMask.gt(0).to(logits.dtype);
    let dice: Tensor | null = null;
    let penalty: Tensor | null = null;
    for (const axis of [2, 3, 4]) {
      const reduce = projection === "profile" ? [2, 3, 4].filter((d) => d !== axis) : [axis];
      const x = p.max(reduce).flatten(2);
      const t = b.max(reduce).flatten(2);
      const inter = x.mul(t).sum(2);
      const denom = x.square().sum(2).add(t.square().sum(2)).add(sd);
      // The clamp only matters with both smoothings 0 and an empty pair: 0/0 becomes Dice 0, not NaN.
      const d = inter.mul(2).add(sn).div(denom.clamp(1e-12)).neg().add(1);
      const pen = x.square().mean(2);
      dice = dice ? dice.add(d) : d;
      penalty = penalty ? penalty.add(pen) : pen;
    }
    const present = b.flatten(2).max(2).gt(0);
    const perEntry = where(present, dice as Tensor, penalty as Tensor);
    let w = entryWeightTensor(op, opts.weights, N, K, logits);
    if (absent === "ignore") w = w.mul(present.to(logits.dtype));
    const counted = w.gt(0);
    if (reduction === "none") return where(counted, perEntry, 0);
    const total = w.sum();
    return perEntry.mul(w).sum().div(where(total.gt(0), total, 1));
  });
}
