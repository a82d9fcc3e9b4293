// Surfaces of binary masks and the distances between them.
//
// A mask's surface is its set of border voxels: voxels of the mask with at least one neighbour
// outside it, where "neighbour" is the 6 face neighbours (connectivity 6, the default) or all 26
// voxels of the 3×3×3 cube (connectivity 26), and voxels beyond the grid count as outside. This
// is mask AND NOT erosion(mask) with a cross (6) or cube (26) structuring element and zero
// border, the definition MONAI, medpy and most HD95 tables use (scipy's binary_erosion default).
//
// Directed surface distances A→B: for every border voxel of A, the Euclidean distance (mm, with
// anisotropic spacing) from its centre to the centre of the nearest border voxel of B, read off
// an exact distance transform of B's border. Each border voxel counts once (no surfel-area
// weighting as in DeepMind's surface-distance package).

import { squaredDistanceTransform } from "./edt.js";
import { checkLabelMap, checkSameShape, numericData, resolveSpacing, voxelCount, type GridShape, type LabelArray, type LabelMap, type Spacing } from "./label-map.js";
import { binarize, cropMask, scanPair, type VoxelRange } from "./_internal/scan.js";

/** Neighbourhood deciding whether a mask voxel touches the outside: 6 (faces) or 26 (faces, edges, corners). */
export type SurfaceConnectivity = 6 | 26;

function checkConnectivity(c: number, op: string): SurfaceConnectivity {
  if (c !== 6 && c !== 26) throw new RangeError(`Cannot run ${op}: surface connectivity must be 6 or 26. Received: ${c}`);
  return c;
}

/**
 * Border voxels of a mask: mask voxels with a neighbour (6 or 26 connectivity) outside the mask or the grid.
 * @param mask non-zero = inside, x fastest
 * @returns 0/1 mask of the border voxels
 * @example
 * const surface = borderVoxels(mask, [64, 64, 64], 6);
 */
export function borderVoxels(mask: LabelArray | ArrayLike<number>, shape: GridShape, connectivity: SurfaceConnectivity = 6): Uint8Array {
  const op = "borderVoxels";
  const n = voxelCount(shape, op);
  checkConnectivity(connectivity, op);
  if (mask.length < n) throw new RangeError(`Cannot run ${op}: mask must hold ${n} voxels. Received: ${mask.length}`);
  const [nx, ny, nz] = shape;
  const sy = nx;
  const sz = nx * ny;
  const out = new Uint8Array(n);
  if (connectivity === 6) {
    for (let z = 0, i = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++, i++) {
          if (mask[i] === 0) continue;
          const edge =
            x === 0 || x === nx - 1 || y === 0 || y === ny - 1 || z === 0 || z === nz - 1 ||
            mask[i - 1] === 0 || mask[i + 1] === 0 || mask[i - sy] === 0 || mask[i + sy] === 0 || mask[i - sz] === 0 || mask[i + sz] === 0;
          if (edge) out[i] = 1;
        }
      }
    }
    return out;
  }
  // 26: the cube is the sum of three segments, so erosion by it is three 1-D 3-wide erosions.
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i++) a[i] = mask[i] !== 0 ? 1 : 0;
  const b = new Uint8Array(n);
  erodeAxis(a, b, shape, 0);
  erodeAxis(b, a, shape, 1);
  erodeAxis(a, b, shape, 2);
  for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 && b[i] === 0 ? 1 : 0;
  return out;
}

/** dst = src eroded by a 3-voxel segment along `axis` (voxels beyond the grid count as outside). */
function erodeAxis(src: Uint8Array, dst: Uint8Array, shape: GridShape, axis: 0 | 1 | 2): void {
  const [nx, ny, nz] = shape;
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  const len = shape[axis];
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        if (src[i] === 0) {
          dst[i] = 0;
          continue;
        }
        const c = axis === 0 ? x : axis === 1 ? y : z;
        dst[i] = c > 0 && c < len - 1 && src[i - stride] !== 0 && src[i + stride] !== 0 ? 1 : 0;
      }
    }
  }
}

/** Distances from the border voxels of A to B's border, and back, on one grid. */
export interface SurfaceDistances {
  /** One distance per border voxel of the prediction, ascending. */
  readonly predToRef: Float64Array;
  /** One distance per border voxel of the reference, ascending. */
  readonly refToPred: Float64Array;
}

/**
 * Directed surface distances between two binary masks given on the same (cropped) grid.
 * Either side empty gives empty arrays for the direction that starts there, and the other direction
 * is all Infinity (there is nothing to reach).
 * @param a prediction mask (0/1, x fastest)
 * @param b reference mask on the same grid
 * @example
 * const { predToRef } = maskSurfaceDistances(a, b, [32, 32, 16], [1, 1, 2.5], 6);
 */
export function maskSurfaceDistances(
  a: Uint8Array,
  b: Uint8Array,
  shape: GridShape,
  spacing: Spacing,
  connectivity: SurfaceConnectivity,
): SurfaceDistances {
  const ba = borderVoxels(a, shape, connectivity);
  const bb = borderVoxels(b, shape, connectivity);
  return { predToRef: sampleDistances(bb, ba, shape, spacing), refToPred: sampleDistances(ba, bb, shape, spacing) };
}

/** Sorted distances from every `at` voxel to the nearest `to` voxel. */
function sampleDistances(to: Uint8Array, at: Uint8Array, shape: GridShape, spacing: Spacing): Float64Array {
  let count = 0;
  for (let i = 0; i < at.length; i++) count += at[i]!;
  const out = new Float64Array(count);
  if (count === 0) return out;
  const d2 = squaredDistanceTransform(to, shape, spacing);
  for (let i = 0, o = 0; i < at.length; i++) if (at[i] !== 0) out[o++] = Math.sqrt(d2[i]!);
  return out.sort();
}

/** Options of {@link surfaceDistances}. */
export interface SurfaceDistanceOptions {
  /** Class value compared; when absent every non-zero voxel is foreground. */
  readonly label?: number;
  /** @default "mm" */
  readonly unit?: "mm" | "voxel";
  /** Voxel size (mm); overrides the maps' own spacing. */
  readonly spacing?: Spacing;
  /** @default 6 */
  readonly connectivity?: SurfaceConnectivity;
}

/**
 * Directed surface distances between the prediction and the reference of one class, the raw
 * material of HD, HD95, ASD and NSD (for aggregations other than {@link evaluateSegmentation}'s).
 * Works on the bounding box of the class in both maps, which gives the same distances as the full grid.
 * @param pred predicted label map (x fastest)
 * @param ref reference label map on the same grid
 * @returns ascending distances per border voxel, each direction
 * @example
 * const { predToRef, refToPred } = surfaceDistances(pred, ref, { label: 2 });
 */
export function surfaceDistances(pred: LabelMap, ref: LabelMap, opts: SurfaceDistanceOptions = {}): SurfaceDistances {
  const op = "surfaceDistances";
  const n = checkLabelMap(pred, op, "pred");
  checkLabelMap(ref, op, "ref");
  checkSameShape(pred, ref, op);
  const connectivity = checkConnectivity(opts.connectivity ?? 6, op);
  const spacing = resolveSpacing(pred, ref, opts.spacing, opts.unit ?? "mm", op);
  let p = numericData(pred, n);
  let r = numericData(ref, n);
  let label = opts.label;
  if (label === undefined) {
    p = binarize(p, n);
    r = binarize(r, n);
    label = 1;
  }
  const scan = scanPair(p, r, pred.shape, [label]);
  const box = scan.boxes[0];
  if (box === undefined) return { predToRef: new Float64Array(0), refToPred: new Float64Array(0) };
  return classSurfaceDistances(p, r, pred.shape, label, box, spacing, connectivity);
}

/** Surface distances of class `value` computed on `box` (which must hold every voxel of the class in both maps). */
export function classSurfaceDistances(
  pred: LabelArray,
  ref: LabelArray,
  shape: GridShape,
  value: number,
  box: VoxelRange,
  spacing: Spacing,
  connectivity: SurfaceConnectivity,
): SurfaceDistances {
  // Cropping to the union's box is exact: every border voxel of either mask lies inside it, and
  // voxels outside it are outside both masks, just as voxels beyond the grid are.
  const cshape: GridShape = [box.max[0] - box.min[0], box.max[1] - box.min[1], box.max[2] - box.min[2]];
  const a = cropMask(pred, shape, value, box);
  const b = cropMask(ref, shape, value, box);
  return maskSurfaceDistances(a, b, cshape, spacing, connectivity);
}
