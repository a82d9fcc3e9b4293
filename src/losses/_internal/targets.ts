// Shared argument handling for the segmentation losses: targets as label maps or per-class
// probabilities, voxel masks and ignored labels, all brought to the logits' layout and dtype.
import { type Tensor, ShapeError, isFloatingDType, oneHot, where } from "../../tensor/index.js";

/** The rank-agnostic layout strings used in messages. */
const LOGITS = "(N, C, ...spatial)";

/** Throws unless logits are (N, C, ...spatial) with at least one spatial dim and a floating dtype. */
export function checkLogits(op: string, logits: Tensor): void {
  if (logits.rank < 3) throw new ShapeError(op, `${LOGITS} logits with at least one spatial dim`, logits.shape);
  if (!isFloatingDType(logits.dtype)) throw new TypeError(`Cannot run ${op}: logits must be floating point. Received: ${logits.dtype}`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** True when `target` is a label map (integer or bool dtype) rather than per-class values. */
export function isLabelMap(target: Tensor): boolean {
  return !isFloatingDType(target.dtype);
}

/**
 * A label map as int64 (N, ...spatial), accepting (N, ...spatial) or (N, 1, ...spatial).
 * @throws ShapeError when the shape fits neither layout
 */
export function labelMap(op: string, logits: Tensor, target: Tensor): Tensor {
  const [n, , ...spatial] = logits.shape;
  const flat = [n as number, ...spatial];
  if (sameShape(target.shape, flat)) return target.to("int64");
  if (sameShape(target.shape, [n as number, 1, ...spatial])) return target.squeeze(1).to("int64");
  throw new ShapeError(op, `an integer label map (${flat.join(", ")}) or (${[n, 1, ...spatial].join(", ")}) for logits [${logits.shape.join(",")}]`, target.shape);
}

/** Per-class target values (N, C, ...spatial) in the logits' dtype. */
export function classTarget(op: string, logits: Tensor, target: Tensor): Tensor {
  if (!sameShape(target.shape, logits.shape)) {
    throw new ShapeError(op, `per-class targets of the logits' shape [${logits.shape.join(",")}] (or an integer label map)`, target.shape);
  }
  return target.to(logits.dtype);
}

/** A voxel mask (N, ...spatial) or (N, 1, ...spatial) of any dtype as (N, 1, ...spatial) weights in the logits' dtype. */
export function voxelWeights(op: string, logits: Tensor, mask: Tensor): Tensor {
  const [n, , ...spatial] = logits.shape;
  const withChannel = [n as number, 1, ...spatial];
  if (sameShape(mask.shape, withChannel)) return mask.to(logits.dtype);
  if (sameShape(mask.shape, [n as number, ...spatial])) return mask.unsqueeze(1).to(logits.dtype);
  throw new ShapeError(op, `a mask (${[n, ...spatial].join(", ")}) or (${withChannel.join(", ")})`, mask.shape);
}

/** What the losses need from a target: one-hot values, and which voxels count (null: all). */
export interface PreparedTarget {
  /** (N, C, ...spatial) in the logits' dtype. */
  values: Tensor;
  /** (N, 1, ...spatial) voxel weights (mask times "not ignored"), or null when every voxel counts. */
  weights: Tensor | null;
}

/**
 * One-hot (or given per-class) targets and voxel weights. Ignored labels become class 0 in the
 * one-hot map and weight 0, so they never index out of range.
 */
export function prepareTarget(op: string, logits: Tensor, target: Tensor, mask: Tensor | null | undefined, ignoreIndex: number | null | undefined): PreparedTarget {
  let weights = mask ? voxelWeights(op, logits, mask) : null;
  if (!isLabelMap(target)) {
    if (ignoreIndex !== null && ignoreIndex !== undefined) {
      throw new TypeError(`Cannot run ${op}: ignoreIndex applies to integer label maps; give per-class targets a mask instead`);
    }
    return { values: classTarget(op, logits, target), weights };
  }
  let labels = labelMap(op, logits, target);
  if (ignoreIndex !== null && ignoreIndex !== undefined) {
    const keep = labels.ne(ignoreIndex);
    labels = where(keep, labels, 0);
    const k = keep.unsqueeze(1).to(logits.dtype);
    weights = weights ? weights.mul(k) : k;
  }
  const classes = logits.shape[1] as number;
  // one_hot puts classes last: move them to dim 1.
  const hot = oneHot(labels, classes);
  const dims = [0, hot.rank - 1, ...Array.from({ length: hot.rank - 2 }, (_, i) => i + 1)];
  return { values: hot.permute(dims).to(logits.dtype), weights };
}
