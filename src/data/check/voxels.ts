// Single-pass voxel statistics for the integrity check: non-finite intensities in images, and
// the values a label map holds (with counts, NaN and non-integer values), over typed arrays.
import type { Shape3, Volume } from "../../volume/index.js";

/** What an image scan found. */
export interface ImageStats {
  readonly nan: number;
  readonly inf: number;
  /** Voxel index (i, j, k) of the first non-finite value, when there is one. */
  readonly firstBad: readonly [number, number, number] | undefined;
  /** Smallest and largest finite value (NaN when there is none). */
  readonly min: number;
  readonly max: number;
}

/** Spatial (i, j, k) of scalar `p` of a volume with `components` scalars per voxel. */
export function voxelIndex(p: number, shape: Shape3, components: number): [number, number, number] {
  const v = Math.floor(p / components);
  const [nx, ny, nz] = shape;
  return [v % nx, Math.floor(v / nx) % ny, Math.floor(v / (nx * ny)) % nz];
}

/** Counts NaN and ±Inf and finds the finite range; integer data is finite by construction. */
export function imageStats(v: Volume): ImageStats {
  const d = v.data;
  let nan = 0;
  let inf = 0;
  let first = -1;
  let min = Infinity;
  let max = -Infinity;
  if (d instanceof Float32Array || d instanceof Float64Array) {
    for (let p = 0; p < d.length; p++) {
      const x = d[p]!;
      if (x - x === 0) {
        if (x < min) min = x;
        if (x > max) max = x;
      } else {
        if (x !== x) nan++;
        else inf++;
        if (first < 0) first = p;
      }
    }
  } else if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
    for (let p = 0; p < d.length; p++) {
      const x = Number(d[p]!);
      if (x < min) min = x;
      if (x > max) max = x;
    }
  } else {
    for (let p = 0; p < d.length; p++) {
      const x = d[p]!;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  return {
    nan,
    inf,
    firstBad: first < 0 ? undefined : voxelIndex(first, v.shape, v.components),
    min: min === Infinity ? NaN : min,
    max: max === -Infinity ? NaN : max,
  };
}

/** What a label scan found. */
export interface LabelStats {
  /** Voxel count per value present (integer values only). */
  readonly counts: ReadonlyMap<number, number>;
  readonly nan: number;
  /** Finite values with a fractional part (or ±Inf). */
  readonly nonInteger: number;
}

function countDense(d: Uint8Array | Uint16Array, size: number): Map<number, number> {
  const c = new Uint32Array(size);
  for (let p = 0; p < d.length; p++) c[d[p]!]!++;
  const out = new Map<number, number>();
  c.forEach((n, v) => {
    if (n > 0) out.set(v, n);
  });
  return out;
}

/** Counts the values of a label map in one pass. */
export function labelStats(v: Volume): LabelStats {
  const d = v.data;
  if (d instanceof Uint8Array && !(d instanceof Uint8ClampedArray)) return { counts: countDense(d, 256), nan: 0, nonInteger: 0 };
  if (d instanceof Uint16Array) return { counts: countDense(d, 65536), nan: 0, nonInteger: 0 };
  const counts = new Map<number, number>();
  let nan = 0;
  let nonInteger = 0;
  for (let p = 0; p < d.length; p++) {
    const x = typeof d[p] === "bigint" ? Number(d[p]) : (d[p] as number);
    if (x !== x) nan++;
    else if (!Number.isInteger(x)) nonInteger++;
    else counts.set(x, (counts.get(x) ?? 0) + 1);
  }
  return { counts, nan, nonInteger };
}
