// Bounding boxes, cropping and padding. Both keep every kept voxel at its world position by
// moving the affine's origin (A · translate(start)), so a crop can be pasted back exactly.

import { mat4Mul, type Mat4 } from "./affine.js";
import { allocVoxels, type VoxelDType } from "./dtype.js";
import { Volume, type Shape3 } from "./volume.js";

/** Voxel box [start, end) per axis (end exclusive, numpy-slice style). */
export interface BBox {
  readonly start: Shape3 | readonly [number, number, number];
  readonly end: readonly [number, number, number];
}

function translate(t: readonly [number, number, number]): Mat4 {
  return [
    [1, 0, 0, t[0]],
    [0, 1, 0, t[1]],
    [0, 0, 1, t[2]],
    [0, 0, 0, 1],
  ];
}

/**
 * Box around voxels that are non-zero in any channel (nnU-Net's crop-to-nonzero), grown by
 * `margin` voxels and clipped to the grid; undefined when every voxel is zero.
 * NaN counts as non-zero so it is never silently cropped away.
 */
export function nonzeroBBox(volume: Volume, margin = 0): BBox | undefined {
  const [nx, ny, nz] = volume.shape;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-1, -1, -1];
  const d = volume.data;
  const comp = volume.components;
  for (let c = 0; c < volume.channels; c++) {
    let p = c * volume.voxelCount * comp;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++, p += comp) {
          let nonzero = false;
          for (let q = 0; q < comp; q++) if (d[p + q] != 0) nonzero = true; // loose: 0n and 0 both count as zero
          if (!nonzero) continue;
          if (i < lo[0]!) lo[0] = i;
          if (i > hi[0]!) hi[0] = i;
          if (j < lo[1]!) lo[1] = j;
          if (j > hi[1]!) hi[1] = j;
          if (k < lo[2]!) lo[2] = k;
          if (k > hi[2]!) hi[2] = k;
        }
      }
    }
  }
  if (hi[0]! < 0) return undefined;
  const n = volume.shape;
  return {
    start: [0, 1, 2].map((a) => Math.max(0, lo[a]! - margin)) as unknown as [number, number, number],
    end: [0, 1, 2].map((a) => Math.min(n[a]!, hi[a]! + 1 + margin)) as unknown as [number, number, number],
  };
}

/** Copies the voxels inside `bbox`; RangeError when the box is empty or leaves the grid. */
export function crop<D extends VoxelDType>(volume: Volume<D>, bbox: BBox): Volume<D> {
  const { start, end } = bbox;
  for (let a = 0; a < 3; a++) {
    if (!(Number.isInteger(start[a]) && Number.isInteger(end[a]) && start[a]! >= 0 && end[a]! <= volume.shape[a]! && start[a]! < end[a]!)) {
      throw new RangeError(
        `Cannot crop: bbox must satisfy 0 <= start < end <= shape on every axis (shape [${volume.shape.join(",")}]). Received: start=[${start.join(",")}] end=[${end.join(",")}]`,
      );
    }
  }
  const shape: Shape3 = [end[0] - start[0]!, end[1] - start[1]!, end[2] - start[2]!];
  return copyBox(volume, shape, start as Shape3, [0, 0, 0], shape, mat4Mul(volume.affine, translate(start as Shape3)));
}

/** Pads with `value` (default 0): `before`/`after` voxels per axis. */
export function pad<D extends VoxelDType>(volume: Volume<D>, before: readonly [number, number, number], after: readonly [number, number, number], value: number | bigint = 0): Volume<D> {
  if (![...before, ...after].every((v) => Number.isSafeInteger(v) && v >= 0)) {
    throw new RangeError(`Cannot pad: widths must be non-negative integers. Received: before=[${before.join(",")}] after=[${after.join(",")}]`);
  }
  const n = volume.shape;
  const shape: Shape3 = [n[0] + before[0] + after[0], n[1] + before[1] + after[1], n[2] + before[2] + after[2]];
  const affine = mat4Mul(volume.affine, translate([-before[0], -before[1], -before[2]]));
  return copyBox(volume, shape, [0, 0, 0], before, n, affine, value);
}

/** Pads symmetrically (extra voxel after) up to at least `shape`; returns the padding used. */
export function padToShape<D extends VoxelDType>(volume: Volume<D>, shape: readonly [number, number, number], value: number | bigint = 0): { volume: Volume<D>; before: Shape3 } {
  const total = [0, 1, 2].map((a) => Math.max(0, shape[a]! - volume.shape[a]!));
  const before = total.map((t) => Math.floor(t / 2)) as unknown as [number, number, number];
  const after = total.map((t, a) => t - before[a]!) as unknown as [number, number, number];
  return { volume: pad(volume, before, after, value), before };
}

/** Copies an `extent` box from `from` (in volume) to `to` (in a new `shape` grid filled with `fill`). */
function copyBox<D extends VoxelDType>(
  volume: Volume<D>,
  shape: Shape3,
  from: readonly [number, number, number],
  to: readonly [number, number, number],
  extent: readonly [number, number, number],
  affine: Mat4,
  fill: number | bigint = 0,
): Volume<D> {
  const comp = volume.components;
  const out = allocVoxels(volume.dtype, shape[0] * shape[1] * shape[2] * volume.channels);
  const bigint = out instanceof BigInt64Array || out instanceof BigUint64Array;
  const f = bigint ? BigInt(fill) : Number(fill);
  if (f !== 0 && f !== 0n) (out as { fill(v: number | bigint): unknown }).fill(f);
  const [sx, sy] = volume.shape;
  const [dx, dy] = shape;
  const row = extent[0] * comp;
  for (let c = 0; c < volume.channels; c++) {
    const sBase = c * volume.voxelCount;
    const dBase = c * shape[0] * shape[1] * shape[2];
    for (let k = 0; k < extent[2]; k++) {
      for (let j = 0; j < extent[1]; j++) {
        const s = (sBase + from[0] + sx * (from[1] + j + sy * (from[2] + k))) * comp;
        const d = (dBase + to[0] + dx * (to[1] + j + dy * (to[2] + k))) * comp;
        (out as Uint8Array).set((volume.data as Uint8Array).subarray(s, s + row), d);
      }
    }
  }
  return new Volume({ data: out as never, dtype: volume.dtype, shape, channels: volume.channels, affine });
}
