// One pass over a pair of label maps: per-class voxel counts, overlap and bounding boxes.
import type { GridShape, LabelArray } from "../label-map.js";

/** Axis-aligned voxel box: min inclusive, max exclusive, per axis (x, y, z). */
export interface VoxelRange {
  readonly min: [number, number, number];
  readonly max: [number, number, number];
}

/** Largest class value served by a lookup table rather than a Map. */
const LUT_MAX = 1 << 20;

/** Maps a voxel value to the index of its class in `classes`, or -1. */
export interface ClassLookup {
  (value: number): number;
}

/** Checks class values (non-negative safe integers, no repeats). */
export function checkClasses(classes: readonly number[], op: string): void {
  const seen = new Set<number>();
  for (const c of classes) {
    if (!Number.isSafeInteger(c) || c < 0) throw new RangeError(`Cannot run ${op}: class values must be non-negative integers. Received: ${c}`);
    if (seen.has(c)) throw new RangeError(`Cannot run ${op}: class ${c} is listed twice`);
    seen.add(c);
  }
}

/** A value → class-index function; a typed table for the usual small label values. */
export function classLookup(classes: readonly number[]): ClassLookup {
  const max = classes.reduce((m, c) => Math.max(m, c), -1);
  if (max < LUT_MAX) {
    const lut = new Int32Array(max + 1).fill(-1);
    classes.forEach((c, i) => (lut[c] = i));
    // A typed array read at a non-integer or out-of-range index is undefined: not a class.
    return (v) => lut[v] ?? -1;
  }
  const map = new Map(classes.map((c, i) => [c, i]));
  return (v) => map.get(v) ?? -1;
}

/** Sorted distinct values of `data` other than `background` (integers expected; others are listed as they are). */
export function distinctValues(datas: readonly LabelArray[], n: number, background = 0): number[] {
  const small = new Uint8Array(1 << 16);
  const other = new Set<number>();
  for (const d of datas) {
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      if (v >= 0 && v < 65536 && v === (v | 0)) small[v] = 1;
      else if (v === v) other.add(v);
    }
  }
  const out: number[] = [];
  for (let v = 0; v < small.length; v++) if (small[v] && v !== background) out.push(v);
  for (const v of other) if (v !== background) out.push(v);
  return out.sort((a, b) => a - b);
}

/** Per-class counts and boxes of a prediction / reference pair. */
export interface PairScan {
  readonly pred: Float64Array;
  readonly ref: Float64Array;
  /** Voxels of the class in both. */
  readonly both: Float64Array;
  /** Box of the class in prediction ∪ reference; undefined when both are empty. */
  readonly boxes: (VoxelRange | undefined)[];
}

/** Counts pred/ref/overlap voxels per class and the box of each class's union, in one pass. */
export function scanPair(pred: LabelArray, ref: LabelArray, shape: GridShape, classes: readonly number[]): PairScan {
  const k = classes.length;
  const lookup = classLookup(classes);
  const cp = new Float64Array(k);
  const cr = new Float64Array(k);
  const cb = new Float64Array(k);
  const lo = new Int32Array(3 * k).fill(0x7fffffff);
  const hi = new Int32Array(3 * k).fill(-1);
  const [nx, ny, nz] = shape;
  const mark = (c: number, x: number, y: number, z: number) => {
    const o = 3 * c;
    if (x < lo[o]!) lo[o] = x;
    if (x > hi[o]!) hi[o] = x;
    if (y < lo[o + 1]!) lo[o + 1] = y;
    if (y > hi[o + 1]!) hi[o + 1] = y;
    if (z < lo[o + 2]!) lo[o + 2] = z;
    if (z > hi[o + 2]!) hi[o + 2] = z;
  };
  let i = 0;
  let prevP = NaN;
  let prevR = NaN;
  let a = -1;
  let b = -1;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const vp = pred[i]!;
        const vr = ref[i]!;
        // Neighbouring voxels mostly repeat a value: skip the lookup then.
        if (vp !== prevP) {
          prevP = vp;
          a = lookup(vp);
        }
        if (vr !== prevR) {
          prevR = vr;
          b = lookup(vr);
        }
        if (a >= 0) {
          cp[a]!++;
          mark(a, x, y, z);
        }
        if (b >= 0) {
          cr[b]!++;
          if (b === a) cb[b]!++;
          else mark(b, x, y, z);
        }
      }
    }
  }
  const boxes: (VoxelRange | undefined)[] = [];
  for (let c = 0; c < k; c++) {
    const o = 3 * c;
    boxes.push(hi[o]! < 0 ? undefined : { min: [lo[o]!, lo[o + 1]!, lo[o + 2]!], max: [hi[o]! + 1, hi[o + 1]! + 1, hi[o + 2]! + 1] });
  }
  return { pred: cp, ref: cr, both: cb, boxes };
}

/** The voxels equal to `value` inside `box`, as a 0/1 mask over the box (x fastest). */
export function cropMask(data: LabelArray, shape: GridShape, value: number, box: VoxelRange): Uint8Array {
  const [nx, ny] = shape;
  const bx = box.max[0] - box.min[0];
  const by = box.max[1] - box.min[1];
  const bz = box.max[2] - box.min[2];
  const out = new Uint8Array(bx * by * bz);
  let o = 0;
  for (let z = box.min[2]; z < box.max[2]; z++) {
    for (let y = box.min[1]; y < box.max[1]; y++) {
      const row = box.min[0] + nx * (y + ny * z);
      for (let x = 0; x < bx; x++, o++) out[o] = data[row + x] === value ? 1 : 0;
    }
  }
  return out;
}

/** 1 where `d` is non-zero (NaN counts as zero), over the first n voxels. */
export function binarize(d: LabelArray, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = d[i] !== 0 && d[i] === d[i] ? 1 : 0;
  return out;
}
