// NaN and ±Inf in an input scan. A handful of NaN voxels silently turns a whole prediction into
// background (normalisation statistics become NaN, then every logit), so the default is to refuse
// the scan and say where the first bad voxel is; replacing them is an explicit choice.

import { dtypeInfo, Volume } from "../volume/index.js";

/** What to do with NaN/±Inf voxels: refuse the scan, or replace them with 0 or the channel's finite minimum. */
export type NonFinitePolicy = "error" | "zero" | "min";

/** A scan held NaN or infinite voxels and the policy was "error". */
export class NonFiniteInputError extends RangeError {
  override readonly name = "NonFiniteInputError";
  constructor(
    /** Number of non-finite voxels. */
    readonly count: number,
    /** Voxel (i, j, k) and channel of the first one. */
    readonly first: readonly [number, number, number, number],
  ) {
    super(
      `Cannot predict: the scan has ${count} NaN/Inf voxel(s), the first at (i, j, k) = (${first.slice(0, 3).join(", ")})` +
        `${first[3] > 0 ? ` in channel ${first[3]}` : ""}. Fix the scan or choose a policy (--nan-policy zero|min).`,
    );
  }
}

/**
 * Applies the policy: returns the volume itself when every voxel is finite (or the dtype is an
 * integer type), a copy with replacements otherwise.
 * @throws NonFiniteInputError under "error"
 */
export function applyNonFinitePolicy(volume: Volume, policy: NonFinitePolicy): { volume: Volume; replaced: number } {
  if (policy !== "error" && policy !== "zero" && policy !== "min") throw new RangeError(`Unknown NaN/Inf policy. Received: ${String(policy)}`);
  const info = dtypeInfo(volume.dtype);
  if (info.integer || info.components > 1) return { volume, replaced: 0 };
  const data = volume.data as Float32Array | Float64Array;
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count === 0) return { volume, replaced: 0 };
  if (policy === "error") {
    const n = volume.voxelCount;
    const [nx, ny] = volume.shape;
    const c = Math.floor(first / n);
    const r = first - c * n;
    throw new NonFiniteInputError(count, [r % nx, Math.floor(r / nx) % ny, Math.floor(r / (nx * ny)), c]);
  }
  const out = data.slice();
  const n = volume.voxelCount;
  for (let c = 0; c < volume.channels; c++) {
    const ch = out.subarray(c * n, (c + 1) * n);
    let fill = 0;
    if (policy === "min") {
      fill = Infinity;
      for (let i = 0; i < ch.length; i++) if (Number.isFinite(ch[i]!) && ch[i]! < fill) fill = ch[i]!;
      if (fill === Infinity) fill = 0;
    }
    for (let i = 0; i < ch.length; i++) if (!Number.isFinite(ch[i]!)) ch[i] = fill;
  }
  return { volume: new Volume({ data: out, dtype: volume.dtype, shape: volume.shape, channels: volume.channels, affine: volume.affine } as never), replaced: count };
}
