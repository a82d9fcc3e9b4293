// The input every metric and post-processing function takes: a label map on a voxel grid.
// Structural, so a Volume with a numeric dtype passes as it is, and so do plain typed arrays with
// a shape (what inference produces before it builds a Volume).

/** Spatial size [nx, ny, nz]; x varies fastest in `data` (the Volume convention). */
export type GridShape = readonly [number, number, number];
/** Voxel size in mm along x, y, z. */
export type Spacing = readonly [number, number, number];

/** Numeric typed arrays the metrics work on (integer class values; float arrays as some NIfTI files hold them). */
export type LabelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;
/** Every voxel array a label map may hold: 64-bit integer maps (nibabel writes numpy int64 labels as such) are read as numbers. */
export type AnyLabelArray = LabelArray | BigInt64Array | BigUint64Array;

/** A label map: one integer class value per voxel (0 = background unless told otherwise). Any Volume fits. */
export interface LabelMap {
  /** Class value per voxel, x fastest, then y, then z (first channel only when longer). */
  readonly data: AnyLabelArray;
  readonly shape: GridShape;
  /** Voxel size in mm; [1, 1, 1] when absent. */
  readonly spacing?: Spacing;
}

/** Distances and volumes in millimetres (scaled by spacing) or in voxel units (spacing ignored). */
export type MetricUnit = "mm" | "voxel";

/** Voxel count nx·ny·nz, after checking the shape. */
export function voxelCount(shape: GridShape, op: string): number {
  if (shape.length !== 3 || !shape.every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw new RangeError(`Cannot run ${op}: shape must be 3 positive integers. Received: [${shape.join(",")}]`);
  }
  return shape[0] * shape[1] * shape[2];
}

/** Checks a label map's data against its shape and returns its voxel count. */
export function checkLabelMap(m: LabelMap, op: string, name = "labels"): number {
  const n = voxelCount(m.shape, op);
  const d = m.data as unknown;
  if (!ArrayBuffer.isView(d) || d instanceof DataView) {
    throw new TypeError(`Cannot run ${op}: ${name}.data must be a numeric typed array. Received: ${Object.prototype.toString.call(d)}`);
  }
  if (m.data.length < n) {
    throw new RangeError(`Cannot run ${op}: ${name}.data must hold ${n} voxels for shape [${m.shape.join(",")}]. Received: ${m.data.length}`);
  }
  return n;
}

/** The first n voxels as numbers: the array itself, or a Float64Array copy of a 64-bit integer map. */
export function numericData(m: LabelMap, n: number): LabelArray {
  const d = m.data;
  if (!(d instanceof BigInt64Array || d instanceof BigUint64Array)) return d;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(d[i]!);
  return out;
}

/** Checks a spacing triple (finite, positive). */
export function checkSpacing(s: Spacing, op: string): Spacing {
  if (s.length !== 3 || !s.every((v) => Number.isFinite(v) && v > 0)) {
    throw new RangeError(`Cannot run ${op}: spacing must be 3 positive finite numbers (mm). Received: [${s.join(",")}]`);
  }
  return s;
}

/** Whether two spacings agree to a relative tolerance. */
export function sameSpacing(a: Spacing, b: Spacing, rtol = 1e-4): boolean {
  return [0, 1, 2].every((i) => Math.abs(a[i]! - b[i]!) <= rtol * Math.max(Math.abs(a[i]!), Math.abs(b[i]!)));
}

/**
 * The spacing distances are measured with: [1, 1, 1] in voxel units, else the explicit one, else
 * the maps' own (which must agree), else [1, 1, 1].
 */
export function resolveSpacing(pred: LabelMap, ref: LabelMap, explicit: Spacing | undefined, unit: MetricUnit, op: string): Spacing {
  if (explicit === undefined && pred.spacing !== undefined && ref.spacing !== undefined && !sameSpacing(pred.spacing, ref.spacing)) {
    throw new RangeError(`Cannot run ${op}: pred and ref spacings differ (resample first). Received: [${pred.spacing.join(",")}] vs [${ref.spacing.join(",")}]`);
  }
  const mm = checkSpacing(explicit ?? ref.spacing ?? pred.spacing ?? [1, 1, 1], op);
  return unit === "voxel" ? [1, 1, 1] : mm;
}

/** Checks that two maps have the same shape. */
export function checkSameShape(pred: LabelMap, ref: LabelMap, op: string): void {
  if (ref.shape.some((s, i) => s !== pred.shape[i])) {
    throw new RangeError(`Cannot run ${op}: pred and ref shapes differ. Received: [${pred.shape.join(",")}] vs [${ref.shape.join(",")}]`);
  }
}
