// Axis codes and lossless reorientation. Models are trained in one voxel orientation (closest to
// RAS); predictions must go back to the geometry of the scan they came from. Reorienting only
// permutes and flips voxels, so it is exact, and the record keeps the original affine so the way
// back restores it bit for bit (TotalSegmentator checks this round trip; nibabel's
// as_closest_canonical is the reference for which permutation is chosen).

import {
  allocVoxels,
  closestOrthogonal,
  linearPart,
  mat4Mul,
  relativeAffineDiff,
  toMat4,
  Volume,
  type Mat3,
  type Mat4,
  type Shape3,
  type VoxelDType,
} from "../volume/index.js";

/** Three letters, one of R/L, A/P, S/I each: the world direction each voxel index axis increases toward. */
export type Axcodes = string;

/** For each voxel axis: the world axis it runs along (0 x, 1 y, 2 z) and +1 toward R/A/S or −1 toward L/P/I. */
export type Orientation = readonly [AxisOrientation, AxisOrientation, AxisOrientation];
/** One voxel axis of an {@link Orientation}. */
export interface AxisOrientation {
  readonly world: 0 | 1 | 2;
  readonly sign: 1 | -1;
}

/** What {@link reorient} did, enough to undo it exactly. */
export interface OrientationRecord {
  /** Axis codes of the input, e.g. "LPS". */
  readonly original: Axcodes;
  /** Axis codes after reorienting, e.g. "RAS". */
  readonly target: Axcodes;
  readonly originalShape: Shape3;
  readonly originalAffine: Mat4;
  readonly reorientedShape: Shape3;
  readonly reorientedAffine: Mat4;
  /** For each output axis j: the input axis it came from and whether it was reversed. */
  readonly axes: readonly [AxisMap, AxisMap, AxisMap];
}
/** Source axis and flip of one output axis. */
export interface AxisMap {
  readonly from: 0 | 1 | 2;
  readonly flip: boolean;
}

const POS = ["R", "A", "S"] as const;
const NEG = ["L", "P", "I"] as const;

/**
 * Orientation of an affine's voxel axes, as nibabel's io_orientation: take the closest orthogonal
 * matrix to the column-normalised linear part, then give each voxel axis in turn the world axis
 * it is most aligned with among those not yet taken.
 */
export function orientationOf(affine: Mat4): Orientation {
  const lin = linearPart(affine);
  const norms = [0, 1, 2].map((j) => Math.hypot(lin[0][j]!, lin[1][j]!, lin[2][j]!) || 1);
  const rs = lin.map((row) => row.map((v, j) => v / norms[j]!)) as unknown as Mat3;
  const r = closestOrthogonal(rs).map((row) => [...row]);
  const out: AxisOrientation[] = [];
  for (let j = 0; j < 3; j++) {
    let best = 0;
    for (let w = 1; w < 3; w++) if (Math.abs(r[w]![j]!) > Math.abs(r[best]![j]!)) best = w;
    out.push({ world: best as 0 | 1 | 2, sign: r[best]![j]! < 0 ? -1 : 1 });
    r[best] = [0, 0, 0];
  }
  return out as unknown as Orientation;
}

/** Axis codes of an affine, e.g. "RAS" (nibabel aff2axcodes). */
export function axcodesOf(affine: Mat4): Axcodes {
  return axcodesFromOrientation(orientationOf(affine));
}

/** Axis codes of an orientation. */
export function axcodesFromOrientation(o: Orientation): Axcodes {
  return o.map((a) => (a.sign > 0 ? POS : NEG)[a.world]).join("");
}

/** Parses axis codes (case-insensitive); TypeError unless three letters cover x, y and z once each. */
export function orientationFromAxcodes(codes: Axcodes): Orientation {
  const up = typeof codes === "string" ? codes.toUpperCase() : "";
  const out = [...up].map((c): AxisOrientation | undefined => {
    const p = POS.indexOf(c as never);
    const n = NEG.indexOf(c as never);
    return p >= 0 ? { world: p as 0 | 1 | 2, sign: 1 } : n >= 0 ? { world: n as 0 | 1 | 2, sign: -1 } : undefined;
  });
  if (out.length !== 3 || out.some((a) => !a) || new Set(out.map((a) => a!.world)).size !== 3) {
    throw new TypeError(`Invalid axis codes: need one of R/L, A/P and S/I each, e.g. "RAS" or "LPI". Received: ${JSON.stringify(codes)}`);
  }
  return out as unknown as Orientation;
}

/** All 48 axis codes (6 axis orders × 8 sign combinations). */
export function allAxcodes(): Axcodes[] {
  const out: Axcodes[] = [];
  for (const perm of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]) {
    for (let s = 0; s < 8; s++) out.push(perm.map((w, j) => ((s >> j) & 1 ? NEG : POS)[w]).join(""));
  }
  return out;
}

/**
 * Permutes and flips the voxels of `volume` so that its axes run along `target` (default "RAS",
 * nibabel's closest canonical), adjusting the affine so every voxel keeps its world position.
 * @returns the reoriented volume (the input itself when nothing changes) and the record for {@link undoReorient}.
 * @example
 * const { volume: ras, record } = reorient(ct);
 * const pred = undoReorient(ras.withData(labels), record); // back in the scan's voxel grid
 */
export function reorient<D extends VoxelDType>(volume: Volume<D>, target: Axcodes = "RAS"): { volume: Volume<D>; record: OrientationRecord } {
  const src = orientationOf(volume.affine);
  const dst = orientationFromAxcodes(target);
  const axes = dst.map((d) => {
    const from = src.findIndex((s) => s.world === d.world) as 0 | 1 | 2;
    return { from, flip: src[from]!.sign !== d.sign };
  }) as unknown as OrientationRecord["axes"];
  const out = applyAxes(volume, axes);
  return {
    volume: out,
    record: {
      original: axcodesFromOrientation(src),
      target: axcodesFromOrientation(dst),
      originalShape: volume.shape,
      originalAffine: volume.affine,
      reorientedShape: out.shape,
      reorientedAffine: out.affine,
      axes,
    },
  };
}

/** Reorients to the closest canonical orientation, RAS (nibabel as_closest_canonical). */
export function toCanonical<D extends VoxelDType>(volume: Volume<D>): { volume: Volume<D>; record: OrientationRecord } {
  return reorient(volume, "RAS");
}

/**
 * Brings a volume in the reoriented grid (e.g. a prediction) back to the original grid, restoring
 * the original affine exactly.
 * @throws RangeError when `volume` is not in the reoriented geometry of `record` (shape, or affine beyond `tol`).
 */
export function undoReorient<D extends VoxelDType>(volume: Volume<D>, record: OrientationRecord, tol = 1e-6): Volume<D> {
  const [a, b, c] = volume.shape;
  const [x, y, z] = record.reorientedShape;
  if (a !== x || b !== y || c !== z) {
    throw new RangeError(`Cannot undo reorientation: shape must be [${record.reorientedShape.join(",")}]. Received: [${volume.shape.join(",")}]`);
  }
  const diff = relativeAffineDiff(volume.affine, record.reorientedAffine);
  if (diff > tol) {
    throw new RangeError(`Cannot undo reorientation: the affine differs from the reoriented one (relative ${diff.toExponential(2)} > ${tol}). Received: ${JSON.stringify(volume.affine)}`);
  }
  const inverse = [0, 1, 2].map((i) => {
    const j = record.axes.findIndex((m) => m.from === i);
    return { from: j as 0 | 1 | 2, flip: record.axes[j]!.flip };
  }) as unknown as OrientationRecord["axes"];
  const out = applyAxes(volume, inverse);
  return out.withAffine(record.originalAffine);
}

/** Output axis j takes input axis axes[j].from, reversed when flip; the affine follows. */
function applyAxes<D extends VoxelDType>(volume: Volume<D>, axes: OrientationRecord["axes"]): Volume<D> {
  const identity = axes.every((m, j) => m.from === j && !m.flip);
  if (identity) return volume;
  const n = volume.shape;
  const shape: Shape3 = [n[axes[0].from], n[axes[1].from], n[axes[2].from]];
  // new index -> old index: old[from_j] = flip ? n[from_j] − 1 − new[j] : new[j]
  const m: number[][] = [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]];
  axes.forEach((a, j) => {
    m[a.from]![j] = a.flip ? -1 : 1;
    m[a.from]![3] = a.flip ? n[a.from] - 1 : 0;
  });
  const affine = mat4Mul(volume.affine, toMat4(m));

  const comp = volume.components;
  const strideIn = [comp, comp * n[0], comp * n[0] * n[1]];
  const step = axes.map((a) => (a.flip ? -1 : 1) * strideIn[a.from]!);
  const start = axes.reduce((s, a) => s + (a.flip ? (n[a.from] - 1) * strideIn[a.from]! : 0), 0);
  const src = volume.data;
  const dst = allocVoxels(volume.dtype, volume.voxelCount * volume.channels);
  const block = comp * volume.voxelCount;
  let o = 0;
  for (let c = 0; c < volume.channels; c++) {
    for (let k = 0, pk = c * block + start; k < shape[2]; k++, pk += step[2]!) {
      for (let j = 0, pj = pk; j < shape[1]; j++, pj += step[1]!) {
        for (let i = 0, p = pj; i < shape[0]; i++, p += step[0]!) {
          for (let q = 0; q < comp; q++) (dst as Uint8Array)[o++] = (src as Uint8Array)[p + q]!;
        }
      }
    }
  }
  return new Volume<D>({ data: dst as never, dtype: volume.dtype, shape, channels: volume.channels, affine });
}
