// The predicted organ surface as points: where the organ's binary logit changes sign along a grid
// edge, the edge is cut at the linearly interpolated zero (the vertices of marching cubes, without
// the triangles). The positions are differentiable in the logits, so a Chamfer loss on them moves
// the p = 0.5 surface itself.
import { type Tensor, ShapeError, cat, index, logicalXor, nonzero, tidy, where, zeros } from "../../tensor/index.js";

export interface ZeroCrossingOptions {
  /**
   * Lower bound on |f0 − f1| in t = f0 / (f0 − f1). Where both values are nearly 0 the surface
   * position is ill-conditioned and its gradient ~1/|f0 − f1| explodes; the bound caps it (t stays
   * in [0, 1) because |f0| ≤ |f0 − f1| across a sign change). @default 1e-3
   */
  minContrast?: number;
}

/**
 * Zero crossings of a field along the grid edges of all three axes. A value counts as inside when
 * > 0. For an edge from voxel a to a + e_axis with values f0, f1 on opposite sides, the point is
 * a + t·e_axis, t = f0 / (f0 − f1). Differentiable in `field` (the set of cut edges is not: it only
 * changes when a value changes sign).
 * @param field (D, H, W), e.g. the binary logit log(p / (1 − p)) of one organ
 * @returns (M, 3) points in voxel index coordinates (d, h, w) of `field`, the field's dtype
 */
export function zeroCrossings(field: Tensor, opts: ZeroCrossingOptions = {}): Tensor {
  if (field.rank !== 3) throw new ShapeError("zeroCrossings", "a field (D, H, W)", field.shape);
  const delta = opts.minContrast ?? 1e-3;
  if (!(delta > 0)) throw new RangeError(`zeroCrossings: minContrast must be > 0. Received: ${delta}`);
  return tidy(() => {
    const parts: Tensor[] = [];
    for (let axis = 0; axis < 3; axis++) {
      const L = field.shape[axis] as number;
      if (L < 2) continue;
      const f0 = field.slice(axis, 0, L - 1);
      const f1 = field.slice(axis, 1, L);
      const cut = nonzero(logicalXor(f0.gt(0), f1.gt(0))); // (M_a, 3) int64
      const M = cut.shape[0] as number;
      if (M === 0) continue;
      const at = [0, 1, 2].map((c) => cut.slice(1, c, c + 1).squeeze(1));
      const v0 = index(f0, at);
      const v1 = index(f1, at);
      const diff = v0.sub(v1);
      // diff is never 0 across a sign change; keep its sign while bounding its size from below.
      const denom = where(diff.gt(0), diff.clamp(delta), diff.clamp(null, -delta));
      const t = v0.div(denom);
      const step = [0, 1, 2].map((c) => (c === axis ? t : zeros([M], { dtype: field.dtype })));
      const offset = cat(step.map((s) => s.unsqueeze(1)), 1);
      parts.push(cut.to(field.dtype).add(offset));
    }
    if (parts.length === 0) return zeros([0, 3], { dtype: field.dtype });
    return parts.length === 1 ? (parts[0] as Tensor) : cat(parts, 0);
  });
}
