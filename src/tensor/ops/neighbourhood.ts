// Neighbourhood access for pairwise losses: for every voxel, the values of its neighbours in a
// k×k×k window (optionally dilated), as BoxInst's unfold without the centre but in 3-D.
import { callTensor } from "../dispatch.js";
import { ShapeError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { tidy } from "../scope.js";

export interface NeighbourOptions {
  /** Window edge (odd). @default 3 (26 neighbours) */
  kernelSize?: number;
  /** Spacing between window taps. @default 1 */
  dilation?: number;
  /** Include the centre voxel as well. @default false */
  includeCenter?: boolean;
}

/** The (dz, dy, dx) offsets `neighbours` uses, in output order. */
export function neighbourOffsets(opts: NeighbourOptions = {}): [number, number, number][] {
  const k = opts.kernelSize ?? 3;
  if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new RangeError(`neighbours(): kernelSize must be a positive odd integer. Received: ${k}`);
  const dil = opts.dilation ?? 1;
  const r = (k - 1) / 2;
  const out: [number, number, number][] = [];
  for (let z = -r; z <= r; z++)
    for (let y = -r; y <= r; y++)
      for (let x = -r; x <= r; x++) {
        if (z === 0 && y === 0 && x === 0 && !opts.includeCenter) continue;
        out.push([z * dil, y * dil, x * dil]);
      }
  return out;
}

/**
 * For x (N, C, D, H, W) returns (N, C, K, D, H, W): entry k holds x shifted by offset k
 * (zero outside the volume). Differentiable.
 */
export function neighbours(x: Tensor, opts: NeighbourOptions = {}): Tensor {
  if (x.rank !== 5) throw new ShapeError("neighbours", "rank 5 (N, C, D, H, W)", x.shape);
  const offsets = neighbourOffsets(opts);
  const p = ((opts.kernelSize ?? 3) - 1) / 2 * (opts.dilation ?? 1);
  const [, , d, h, w] = x.shape as [number, number, number, number, number];
  return tidy(() => {
    const padded = callTensor("aten::pad", [x, [p, p, p, p, p, p], "constant", 0]);
    const shifted = offsets.map(([dz, dy, dx]) => {
      const a = callTensor("aten::slice.Tensor", [padded, 2, p + dz, p + dz + d, 1]);
      const b = callTensor("aten::slice.Tensor", [a, 3, p + dy, p + dy + h, 1]);
      return callTensor("aten::slice.Tensor", [b, 4, p + dx, p + dx + w, 1]);
    });
    return callTensor("aten::stack", [shifted, 2]);
  });
}
