// An optional box-area prior: an organ fills a fair part of its tight box (an ellipsoid fills
// π/6 ≈ 52 %), so a box whose predicted foreground fraction falls below θ is penalised. It guards
// against the collapse the projection term allows (a thin cross of voxels satisfies every profile).
import { type Tensor, ShapeError, relu, tidy, where } from "../../tensor/index.js";
import { type BoxActivation, foregroundProbabilities, organChannels } from "./probabilities.js";
import { entryWeightTensor } from "./regions.js";

export interface BoxAreaLossOptions {
  /** See probabilities.ts. @default "softmax" */
  activation?: BoxActivation;
  /** θ, the fraction of the box below which the mean foreground is penalised. @default 0.25 */
  threshold?: number;
  /** (N) or (N, K) weights per (sample, organ); 0 excludes. @default all 1 */
  weights?: Tensor | null;
}

/**
 * L = weighted mean over boxes of max(0, θ − f), f = Σ_{i∈box} p_i / |box| the box-interior mean
 * foreground. Entries without a box (or weight 0) do not count; 0 with zero gradient if none does.
 * - Paper: Du et al., IEEE TMI 2023, arXiv:2302.02125 (optional area term)
 * @param logits (N, K+1, D, H, W) softmax logits, or (N, K, D, H, W) sigmoid logits / probabilities
 * @param boxMask (N, K, D, H, W)
 * @returns a scalar
 */
export function boxAreaLoss(logits: Tensor, boxMask: Tensor, opts: BoxAreaLossOptions = {}): Tensor {
  const op = "boxAreaLoss";
  const activation = opts.activation ?? "softmax";
  if (boxMask.rank !== 5) throw new ShapeError(op, "a box mask (N, K, D, H, W)", boxMask.shape);
  const [N, K] = boxMask.shape as [number, number];
  organChannels(op, logits, activation, K);
  if (logits.shape[0] !== N || logits.shape.slice(2).some((s, i) => s !== boxMask.shape[i + 2])) {
    throw new ShapeError(op, `a box mask matching the logits' batch and spatial size [${logits.shape.join(",")}]`, boxMask.shape);
  }
  const theta = opts.threshold ?? 0.25;
  if (!(theta >= 0 && theta <= 1)) throw new RangeError(`${op}: threshold must be in [0, 1]. Received: ${theta}`);
  return tidy(() => {
    const p = foregroundProbabilities(logits, activation);
    const b = boxMask.gt(0).to(logits.dtype);
    const size = b.flatten(2).sum(2);
    const fraction = p.mul(b).flatten(2).sum(2).div(size.clamp(1));
    const w = entryWeightTensor(op, opts.weights, N, K, logits).mul(size.gt(0).to(logits.dtype));
    const total = w.sum();
    return relu(fraction.neg().add(theta)).mul(w).sum().div(where(total.gt(0), total, 1));
  });
}
