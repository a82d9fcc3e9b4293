// Voxel masks for (N, C, ...spatial) tensors, as broadcastable (N, 1, ...spatial) weights.
import { type Tensor, ShapeError } from "../../../tensor/index.js";
import { sameShape } from "./checks.js";

/** A mask (N, ...spatial) or (N, 1, ...spatial) of any dtype as (N, 1, ...spatial) weights in x's dtype. */
export function voxelWeightsFor(op: string, x: Tensor, mask: Tensor): Tensor {
  const [n, , ...spatial] = x.shape as number[];
  if (sameShape(mask.shape, [n as number, 1, ...spatial])) return mask.to(x.dtype);
  if (sameShape(mask.shape, [n as number, ...spatial])) return mask.unsqueeze(1).to(x.dtype);
  throw new ShapeError(op, `a mask (${[n, ...spatial].join(", ")}) or (${[n, 1, ...spatial].join(", ")})`, mask.shape);
}
