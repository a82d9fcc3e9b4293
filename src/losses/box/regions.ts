// Where each (sample, channel) box mask is non-zero, read on the host from three small max-profiles
// instead of the whole mask, and cropping helpers so the neighbourhood terms only touch voxels near
// each box (26 neighbours × a whole 3-D patch × K organs would not fit in memory).
import { type Tensor, ShapeError, maxPool3d, noGrad, ones, tidy } from "../../tensor/index.js";

/** A voxel region [lo, hi) per axis (d, h, w). */
export interface Region {
  readonly lo: [number, number, number];
  readonly hi: [number, number, number];
}

/**
 * The bounding region of the non-zero voxels of every (sample, channel) of a mask.
 * @param mask (N, K, D, H, W)
 * @returns [n][k] the region, or null where the channel is empty
 */
export function maskRegions(mask: Tensor): (Region | null)[][] {
  const [N, K] = mask.shape as [number, number];
  const spatial = mask.shape.slice(2) as [number, number, number];
  const profiles = noGrad(() =>
    tidy(() => {
      const m = mask.gt(0);
      const others = (a: number) => [2, 3, 4].filter((d) => d !== a + 2);
      return [0, 1, 2].map((a) => m.to("float32").max(others(a)).dataSync() as Float32Array);
    }),
  );
  const out: (Region | null)[][] = [];
  for (let n = 0; n < N; n++) {
    const row: (Region | null)[] = [];
    for (let k = 0; k < K; k++) {
      const lo: [number, number, number] = [0, 0, 0];
      const hi: [number, number, number] = [0, 0, 0];
      let empty = false;
      for (let a = 0; a < 3 && !empty; a++) {
        const L = spatial[a] as number;
        const p = profiles[a] as Float32Array;
        const base = (n * K + k) * L;
        let first = -1;
        let last = -1;
        for (let i = 0; i < L; i++) {
          if ((p[base + i] as number) > 0) {
            if (first < 0) first = i;
            last = i;
          }
        }
        if (first < 0) empty = true;
        lo[a] = first;
        hi[a] = last + 1;
      }
      row.push(empty ? null : { lo, hi });
    }
    out.push(row);
  }
  return out;
}

/** `region` grown by `margin` voxels on every side, clipped to a volume of size `shape`. */
export function growRegion(region: Region, margin: number, shape: readonly number[]): Region {
  return {
    lo: region.lo.map((v) => Math.max(0, v - margin)) as [number, number, number],
    hi: region.hi.map((v, a) => Math.min(shape[a] as number, v + margin)) as [number, number, number],
  };
}

/**
 * Sample `n` of x restricted to `region`, keeping the batch dim.
 * @param x (N, C, D, H, W)
 * @returns (1, C, d, h, w), a view
 */
export function cropSample(x: Tensor, n: number, region: Region): Tensor {
  return tidy(() =>
    x
      .slice(0, n, n + 1)
      .slice(2, region.lo[0], region.hi[0])
      .slice(3, region.lo[1], region.hi[1])
      .slice(4, region.lo[2], region.hi[2]),
  );
}

/** Binary dilation of a (N, K, D, H, W) mask by a (2r+1)³ cube (r = 0 returns a copy). */
export function dilateMask(mask: Tensor, radius: number): Tensor {
  if (!Number.isInteger(radius) || radius < 0) throw new RangeError(`box dilation must be a non-negative integer. Received: ${radius}`);
  return noGrad(() => (radius === 0 ? mask.clone() : maxPool3d(mask, 2 * radius + 1, { stride: 1, padding: radius })));
}

/**
 * Per-(sample, channel) weights from an optional (N) or (N, K) tensor, read on the host.
 * @returns [n][k] weight (1 everywhere when `weights` is null)
 */
export function entryWeights(op: string, weights: Tensor | null | undefined, N: number, K: number): number[][] {
  if (!weights) return Array.from({ length: N }, () => new Array<number>(K).fill(1));
  const s = weights.shape;
  const perSample = s.length === 1 && s[0] === N;
  if (!perSample && !(s.length === 2 && s[0] === N && s[1] === K)) {
    throw new RangeError(`${op}: weights must be (N) = (${N}) or (N, K) = (${N}, ${K}). Received: shape=[${s.join(",")}]`);
  }
  const v = noGrad(() => tidy(() => weights.to("float64").dataSync() as Float64Array));
  return Array.from({ length: N }, (_, n) => Array.from({ length: K }, (_, k) => (perSample ? (v[n] as number) : (v[n * K + k] as number))));
}

/** (N) or (N, K) weights as (N, K) in the dtype and device of `like` (all ones when absent). */
export function entryWeightTensor(op: string, weights: Tensor | null | undefined, N: number, K: number, like: Tensor): Tensor {
  return tidy(() => {
    if (!weights) return ones([N, K], { dtype: like.dtype, device: like.device });
    const s = weights.shape;
    if (s.length === 1 && s[0] === N) return weights.to(like.dtype).unsqueeze(1).expand([N, K]).contiguous();
    if (s.length === 2 && s[0] === N && s[1] === K) return weights.to(like.dtype);
    throw new ShapeError(op, `weights (N) = (${N}) or (N, K) = (${N}, ${K})`, s);
  });
}

/**
 * A scalar 0 attached to `x`'s graph, for a loss with nothing to score: backward through it works
 * (and gives zero gradients) even when it is the only term.
 */
export function zeroLoss(x: Tensor): Tensor {
  return tidy(() => x.sum().mul(0).add(0)); // + 0 turns the −0 of a negative sum into +0
}
