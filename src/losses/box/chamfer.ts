// Nearest neighbours between small point clouds by brute force (a matmul of the clouds), and the
// symmetric Chamfer distance built on them.
import { type Tensor, ShapeError, argmin, callTensor, cat, indexSelect, noGrad, tidy } from "../../tensor/index.js";

/** Rows of `a` per block of the distance matrix: bounds its memory at ROWS × |b| values. */
const ROWS = 1024;

function checkCloud(op: string, what: string, x: Tensor): void {
  if (x.rank !== 2 || x.shape[1] !== 3) throw new ShapeError(op, `${what} points (P, 3)`, x.shape);
  if ((x.shape[0] as number) === 0) throw new RangeError(`${op}: ${what} point cloud is empty`);
}

/**
 * For every point of `a`, the index of its nearest point in `b` (squared Euclidean distance
 * ‖a‖² − 2a·b + ‖b‖², the argmin only; no gradient).
 * @param a (P, 3)
 * @param b (Q, 3)
 * @returns int64 (P)
 */
export function nearestNeighbours(a: Tensor, b: Tensor): Tensor {
  checkCloud("nearestNeighbours", "query", a);
  checkCloud("nearestNeighbours", "reference", b);
  return noGrad(() =>
    tidy(() => {
      // Centring on b's mean keeps the expansion's cancellation small for far-from-origin clouds.
      const centre = b.mean(0, { keepdim: true });
      const bc = b.sub(centre);
      const bn = bc.square().sum(1).unsqueeze(0);
      const bt = bc.transpose(0, 1);
      const P = a.shape[0] as number;
      const blocks: Tensor[] = [];
      for (let s = 0; s < P; s += ROWS) {
        blocks.push(
          tidy(() => {
            const ac = a.slice(0, s, Math.min(P, s + ROWS)).sub(centre);
            // ‖b‖² − 2 a·b in one fused addmm (‖a‖² is constant along each row: the argmin ignores it).
            return argmin(callTensor("aten::addmm", [bn, ac, bt, 1, -2]), 1);
          }),
        );
      }
      return blocks.length === 1 ? (blocks[0] as Tensor) : cat(blocks, 0);
    }),
  );
}

/**
 * Symmetric Chamfer distance L = mean_x min_y ‖x − y‖² + mean_y min_x ‖y − x‖². The nearest
 * neighbours are found without gradient; the distances to them are recomputed exactly, so the
 * gradient is that of the min (2(x − y*) to x for its nearest y*, and likewise for y).
 * - Paper: Fan, Su, Guibas, A Point Set Generation Network, CVPR 2017, arXiv:1612.00603 (Chamfer distance)
 * @param x (P, 3)
 * @param y (Q, 3)
 * @returns a scalar
 */
export function chamferDistance(x: Tensor, y: Tensor): Tensor {
  checkCloud("chamferDistance", "first", x);
  checkCloud("chamferDistance", "second", y);
  return tidy(() => {
    const toY = indexSelect(y, 0, nearestNeighbours(x, y));
    const toX = indexSelect(x, 0, nearestNeighbours(y, x));
    return x.sub(toY).square().sum(1).mean().add(y.sub(toX).square().sum(1).mean());
  });
}
