// Iterative closest point: refines the pose (rotation, isotropic scale, translation) of a template
// point cloud against target points. Each iteration matches every source point to its nearest
// target point and solves the least-squares similarity transform in closed form (Umeyama: an SVD of
// the 3×3 cross-covariance, with the reflection case turned into a rotation).
import { type Tensor, ShapeError, callTensors, indexSelect, noGrad, tensor, tidy } from "../../tensor/index.js";
import { nearestNeighbours } from "./chamfer.js";

export interface IcpOptions {
  /** Match-and-solve rounds at most. @default 20 */
  iterations?: number;
  /** Solve for a rotation (false: translation and scale only). @default true */
  rotation?: boolean;
  /** Solve for an isotropic scale (false: rigid). @default true */
  scale?: boolean;
  /** Bounds of the total scale, so a bad match cannot shrink the template to a point. @default [0.5, 2] */
  scaleRange?: readonly [number, number];
  /** Stop when the RMS match distance improves by less than this fraction of itself. @default 1e-4 */
  tolerance?: number;
}

/** y = scale · R x + t. */
export interface Similarity {
  /** R row-major (9 numbers), a proper rotation (det +1). */
  rotation: number[];
  scale: number;
  translation: [number, number, number];
}

export interface IcpResult extends Similarity {
  /** The transformed source (P, 3), in the source's dtype, without gradient. */
  aligned: Tensor;
  /** RMS distance from each aligned source point to its nearest target point. */
  rmse: number;
  /** Match-and-solve rounds run. */
  iterations: number;
}

const IDENTITY = [1, 0, 0, 0, 1, 0, 0, 0, 1];

function matmul3(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[3 * i + j]! += a[3 * i + k]! * b[3 * k + j]!;
  return out;
}

function matvec3(a: readonly number[], v: readonly number[]): [number, number, number] {
  return [0, 1, 2].map((i) => a[3 * i]! * v[0]! + a[3 * i + 1]! * v[1]! + a[3 * i + 2]! * v[2]!) as [number, number, number];
}

function det3(a: readonly number[]): number {
  return a[0]! * (a[4]! * a[8]! - a[5]! * a[7]!) - a[1]! * (a[3]! * a[8]! - a[5]! * a[6]!) + a[2]! * (a[3]! * a[7]! - a[4]! * a[6]!);
}

/** Applies y = s R x + t to (P, 3) points. */
export function applySimilarity(points: Tensor, T: Similarity): Tensor {
  return tidy(() => {
    const m = T.rotation.map((v) => v * T.scale);
    // Rows of the points times (sR)ᵀ: pass the transpose.
    const mt = tensor([m[0]!, m[3]!, m[6]!, m[1]!, m[4]!, m[7]!, m[2]!, m[5]!, m[8]!], [3, 3], { dtype: points.dtype });
    return points.matmul(mt).add(tensor(T.translation, [1, 3], { dtype: points.dtype }));
  });
}

/**
 * The similarity transform minimising Σ‖y_i − (s R x_i + t)‖² for paired points (Umeyama 1991),
 * with the total scale `current · s` kept inside `range`.
 * @param x (P, 3) float64
 * @param y (P, 3) float64, y_i paired with x_i
 */
function solveSimilarity(x: Tensor, y: Tensor, rotation: boolean, scale: boolean, current: number, range: readonly [number, number]): Similarity {
  const { cov, mx, my, varX } = tidy(() => {
    const mxT = x.mean(0, { keepdim: true });
    const myT = y.mean(0, { keepdim: true });
    const xc = x.sub(mxT);
    const yc = y.sub(myT);
    const n = x.shape[0] as number;
    return {
      cov: Array.from(yc.transpose(0, 1).matmul(xc).div(n).dataSync() as Float64Array),
      mx: Array.from(mxT.dataSync() as Float64Array),
      my: Array.from(myT.dataSync() as Float64Array),
      varX: xc.square().sum(1).mean().item(),
    };
  });
  let R = IDENTITY;
  let trace = cov[0]! + cov[4]! + cov[8]!;
  if (rotation) {
    const [U, S, Vh] = tidy(() => callTensors("aten::linalg_svd", [tensor(cov, [3, 3], { dtype: "float64" }), false]).map((t) => Array.from(t.dataSync() as Float64Array)));
    const d = det3(U as number[]) * det3(Vh as number[]) < 0 ? -1 : 1;
    R = matmul3(matmul3(U as number[], [1, 0, 0, 0, 1, 0, 0, 0, d]), Vh as number[]);
    trace = S![0]! + S![1]! + d * S![2]!;
  }
  let s = scale && varX > 0 ? trace / varX : 1;
  const total = Math.min(range[1], Math.max(range[0], current * s));
  s = total / current;
  const rmx = matvec3(R, mx);
  return { rotation: R, scale: s, translation: [0, 1, 2].map((i) => my[i]! - s * rmx[i]!) as [number, number, number] };
}

/** b ∘ a: first a, then b. */
function compose(b: Similarity, a: Similarity): Similarity {
  const rt = matvec3(b.rotation, a.translation);
  return {
    rotation: matmul3(b.rotation, a.rotation),
    scale: b.scale * a.scale,
    translation: [0, 1, 2].map((i) => b.scale * rt[i]! + b.translation[i]!) as [number, number, number],
  };
}

/** Nearest target of each current point (matched in float32: the float64 brute-force matmul is far slower and the pairing does not need it). */
function rmsMatch(cur: Tensor, target: Tensor, target32: Tensor): { matched: Tensor; rmse: number } {
  return tidy(() => {
    const matched = indexSelect(target, 0, nearestNeighbours(cur.to("float32"), target32));
    return { matched, rmse: Math.sqrt(cur.sub(matched).square().sum(1).mean().item()) };
  });
}

/**
 * Point-to-point ICP from `source` to `target` with a similarity (or rigid) transform, starting
 * from the identity (place the source first, e.g. with `placeTemplate`). Runs in float64 without
 * gradient: the pose is a fitted target for the Chamfer loss, not a path for gradients.
 * - Paper: Besl & McKay, A Method for Registration of 3-D Shapes, IEEE TPAMI 1992 (ICP)
 * - Paper: Umeyama, Least-squares estimation of transformation parameters, IEEE TPAMI 1991
 * @param source (P, 3)
 * @param target (Q, 3)
 * @example const { aligned, scale } = icp(placeTemplate(template, box), predictedSurface.detach());
 */
export function icp(source: Tensor, target: Tensor, opts: IcpOptions = {}): IcpResult {
  const op = "icp";
  for (const [what, x] of [["source", source], ["target", target]] as const) {
    if (x.rank !== 2 || x.shape[1] !== 3) throw new ShapeError(op, `${what} points (P, 3)`, x.shape);
    if ((x.shape[0] as number) === 0) throw new RangeError(`${op}: ${what} point cloud is empty`);
  }
  const iterations = opts.iterations ?? 20;
  if (!Number.isInteger(iterations) || iterations < 0) throw new RangeError(`${op}: iterations must be a non-negative integer. Received: ${iterations}`);
  const range = opts.scaleRange ?? [0.5, 2];
  if (!(range[0] > 0 && range[0] <= 1 && range[1] >= 1)) throw new RangeError(`${op}: scaleRange must satisfy 0 < lo <= 1 <= hi. Received: [${range.join(", ")}]`);
  const tol = opts.tolerance ?? 1e-4;
  return noGrad(() =>
    tidy(() => {
      const src = source.to("float64");
      const tgt = target.to("float64");
      const tgt32 = target.to("float32");
      let T: Similarity = { rotation: IDENTITY, scale: 1, translation: [0, 0, 0] };
      let prev = Infinity;
      let done = 0;
      for (; done < iterations; done++) {
        const stop = tidy(() => {
          const cur = applySimilarity(src, T);
          const { matched, rmse } = rmsMatch(cur, tgt, tgt32);
          if (Number.isFinite(prev) && prev - rmse <= tol * prev) return true;
          prev = rmse;
          T = compose(solveSimilarity(cur, matched, opts.rotation ?? true, opts.scale ?? true, T.scale, range), T);
          return false;
        });
        if (stop) break;
      }
      const aligned = applySimilarity(src, T);
      const { rmse } = rmsMatch(aligned, tgt, tgt32);
      return { ...T, aligned: aligned.to(source.dtype), rmse, iterations: done };
    }),
  );
}
