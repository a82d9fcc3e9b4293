// Per-class segmentation metrics of a prediction against a reference: overlap (Dice, Jaccard),
// volumes, and surface distances (HD, HD95, ASD, NSD), with one documented policy for empty masks.
// See README.md in this folder for the definitions and how they relate to MONAI, medpy and
// DeepMind's surface-distance package.

import { checkLabelMap, checkSameShape, numericData, resolveSpacing, type LabelMap, type MetricUnit, type Spacing } from "./label-map.js";
import { percentileOfSorted } from "./_internal/percentile.js";
import { binarize, checkClasses, distinctValues, scanPair } from "./_internal/scan.js";
import { classSurfaceDistances, type SurfaceConnectivity, type SurfaceDistances } from "./surface.js";

/** What the surface metrics report when exactly one of prediction and reference is empty. */
export type OneEmptyDistance = number | "diagonal";

/** Options of {@link evaluateSegmentation}. */
export interface EvaluateOptions {
  /** Class values to evaluate, in output order. @default every non-zero value found in either map, ascending */
  readonly classes?: readonly number[];
  /** Millimetres (spacing applied) or voxel units (spacing ignored), for distances and volumes. @default "mm" */
  readonly unit?: MetricUnit;
  /** Voxel size (mm); overrides the maps' own spacing. @default ref.spacing ?? pred.spacing ?? [1, 1, 1] */
  readonly spacing?: Spacing;
  /** Border-voxel neighbourhood (see surface.ts). @default 6 */
  readonly connectivity?: SurfaceConnectivity;
  /** NSD tolerance τ in `unit`, one for all classes or one per class value. @default 1 */
  readonly nsdTolerance?: number | Readonly<Record<number, number>>;
  /** Percentile of the robust Hausdorff distance reported as `hd95`. @default 95 */
  readonly percentile?: number;
  /**
   * "max": the larger of the two directed percentiles (MONAI, DeepMind);
   * "pooled": the percentile of both directions' distances together (medpy `hd95`). @default "max"
   */
  readonly hd95Mode?: "max" | "pooled";
  /**
   * "pooled": mean over the border voxels of both masks (MONAI symmetric ASD);
   * "mean": mean of the two directed means (medpy `assd`);
   * "directed": mean distance from the prediction's border to the reference's (medpy `asd`). @default "pooled"
   */
  readonly asdMode?: "pooled" | "mean" | "directed";
  /** Class absent from both maps: "perfect" (Dice, Jaccard, NSD 1; distances 0) or "nan" (every score NaN, as nnU-Net and MONAI's ignore_empty do). @default "perfect" */
  readonly bothEmpty?: "perfect" | "nan";
  /**
   * HD, HD95 and ASD when exactly one map holds the class: a number (NaN, Infinity, a challenge's
   * worst value such as 373.13) or "diagonal", the length of the grid's diagonal in `unit`. @default NaN
   */
  readonly oneEmptyDistance?: OneEmptyDistance;
  /** Compute the surface metrics (off: hd, hd95, asd, nsd are NaN and cost nothing). @default true */
  readonly surface?: boolean;
}

/** Metrics of one class. Distances and volumes are in the unit asked for (mm and mm³ by default). */
export interface ClassMetrics {
  readonly label: number;
  /** 2|P∩R| / (|P| + |R|). */
  readonly dice: number;
  /** |P∩R| / |P∪R|. */
  readonly jaccard: number;
  /** Hausdorff distance: the largest directed surface distance either way. */
  readonly hd: number;
  /** Robust Hausdorff distance at `percentile` (95 by default), per `hd95Mode`. */
  readonly hd95: number;
  /** Average surface distance, per `asdMode`. */
  readonly asd: number;
  /** Normalised surface Dice at `nsdTolerance`: border voxels of either mask within τ of the other's border, over all border voxels. */
  readonly nsd: number;
  /** The tolerance used for `nsd`. */
  readonly nsdTolerance: number;
  readonly predVolume: number;
  readonly refVolume: number;
  /** predVolume − refVolume. */
  readonly volumeDiff: number;
  /** (predVolume − refVolume) / refVolume; NaN when the reference is empty (0 or NaN when both are, per `bothEmpty`). */
  readonly relVolumeDiff: number;
  readonly predVoxels: number;
  readonly refVoxels: number;
  /** Voxels of the class in both maps (true positives). */
  readonly overlapVoxels: number;
  /** Border voxels (0 when surfaces were not computed). */
  readonly predSurfaceVoxels: number;
  readonly refSurfaceVoxels: number;
}

interface Resolved {
  readonly unit: MetricUnit;
  readonly spacing: Spacing;
  readonly connectivity: SurfaceConnectivity;
  readonly percentile: number;
  readonly hd95Mode: "max" | "pooled";
  readonly asdMode: "pooled" | "mean" | "directed";
  readonly bothEmpty: "perfect" | "nan";
  readonly oneEmpty: number;
  readonly surface: boolean;
  readonly tolerance: (label: number) => number;
}

const OP = "evaluateSegmentation";

function resolve(pred: LabelMap, ref: LabelMap, o: EvaluateOptions): Resolved {
  const unit = o.unit ?? "mm";
  if (unit !== "mm" && unit !== "voxel") throw new RangeError(`Cannot run ${OP}: unit must be "mm" or "voxel". Received: ${String(unit)}`);
  const spacing = resolveSpacing(pred, ref, o.spacing, unit, OP);
  const connectivity = o.connectivity ?? 6;
  if (connectivity !== 6 && connectivity !== 26) throw new RangeError(`Cannot run ${OP}: connectivity must be 6 or 26. Received: ${String(connectivity)}`);
  const percentile = o.percentile ?? 95;
  if (!(percentile >= 0 && percentile <= 100)) throw new RangeError(`Cannot run ${OP}: percentile must be in [0, 100]. Received: ${percentile}`);
  const hd95Mode = o.hd95Mode ?? "max";
  if (hd95Mode !== "max" && hd95Mode !== "pooled") throw new RangeError(`Cannot run ${OP}: hd95Mode must be "max" or "pooled". Received: ${String(hd95Mode)}`);
  const asdMode = o.asdMode ?? "pooled";
  if (!["pooled", "mean", "directed"].includes(asdMode)) throw new RangeError(`Cannot run ${OP}: asdMode must be "pooled", "mean" or "directed". Received: ${String(asdMode)}`);
  const bothEmpty = o.bothEmpty ?? "perfect";
  if (bothEmpty !== "perfect" && bothEmpty !== "nan") throw new RangeError(`Cannot run ${OP}: bothEmpty must be "perfect" or "nan". Received: ${String(bothEmpty)}`);
  const oe = o.oneEmptyDistance ?? NaN;
  let oneEmpty: number;
  if (oe === "diagonal") oneEmpty = Math.hypot(...pred.shape.map((n, i) => n * spacing[i]!));
  else if (typeof oe === "number") oneEmpty = oe;
  else throw new RangeError(`Cannot run ${OP}: oneEmptyDistance must be a number or "diagonal". Received: ${String(oe)}`);
  const tol = o.nsdTolerance ?? 1;
  const checkTol = (t: number, at: string): number => {
    if (!(t >= 0) || t === Infinity) throw new RangeError(`Cannot run ${OP}: nsdTolerance${at} must be a finite number ≥ 0. Received: ${t}`);
    return t;
  };
  const tolerance =
    typeof tol === "number"
      ? ((t: number) => () => t)(checkTol(tol, ""))
      : (label: number) => {
          const t = tol[label];
          if (t === undefined) throw new RangeError(`Cannot run ${OP}: nsdTolerance has no entry for class ${label}`);
          return checkTol(t, `[${label}]`);
        };
  return { unit, spacing, connectivity, percentile, hd95Mode, asdMode, bothEmpty, oneEmpty, surface: o.surface ?? true, tolerance };
}

/**
 * Per-class Dice, Jaccard, HD, HD95, ASD, NSD and volume difference of a predicted label map
 * against a reference on the same grid. Surface distances come from an exact Euclidean distance
 * transform on each class's bounding box (linear time), so whole CT volumes take seconds.
 * @param pred predicted label map, x fastest (a Volume with an integer dtype fits)
 * @param ref reference label map, same shape (and spacing, unless `opts.spacing` is given)
 * @returns one entry per class, in `opts.classes` order
 * @example
 * const [liver] = evaluateSegmentation(predVolume, refVolume, { classes: [1], nsdTolerance: 2 });
 * console.log(liver.dice, liver.hd95); // mm
 */
export function evaluateSegmentation(pred: LabelMap, ref: LabelMap, opts: EvaluateOptions = {}): ClassMetrics[] {
  const n = checkLabelMap(pred, OP, "pred");
  checkLabelMap(ref, OP, "ref");
  checkSameShape(pred, ref, OP);
  const r = resolve(pred, ref, opts);
  const pd = numericData(pred, n);
  const rd = numericData(ref, n);
  const classes = opts.classes ?? distinctValues([pd, rd], n);
  checkClasses(classes, OP);
  const scan = scanPair(pd, rd, pred.shape, classes);
  const voxelVolume = r.spacing[0] * r.spacing[1] * r.spacing[2];
  return classes.map((label, c) => {
    const box = scan.boxes[c];
    const dist = r.surface && box !== undefined ? classSurfaceDistances(pd, rd, pred.shape, label, box, r.spacing, r.connectivity) : undefined;
    return classMetrics(label, scan.pred[c]!, scan.ref[c]!, scan.both[c]!, voxelVolume, dist, r);
  });
}

function classMetrics(
  label: number,
  np: number,
  nr: number,
  nb: number,
  voxelVolume: number,
  dist: SurfaceDistances | undefined,
  r: Resolved,
): ClassMetrics {
  const tolerance = r.tolerance(label);
  const predVolume = np * voxelVolume;
  const refVolume = nr * voxelVolume;
  const counts = { predVolume, refVolume, volumeDiff: predVolume - refVolume, predVoxels: np, refVoxels: nr, overlapVoxels: nb };
  if (np === 0 && nr === 0) {
    const s = r.bothEmpty === "perfect" ? 1 : NaN;
    const d = r.bothEmpty === "perfect" ? 0 : NaN;
    return { label, dice: s, jaccard: s, hd: d, hd95: d, asd: d, nsd: r.surface ? s : NaN, nsdTolerance: tolerance, ...counts, relVolumeDiff: d, predSurfaceVoxels: 0, refSurfaceVoxels: 0 };
  }
  const dice = (2 * nb) / (np + nr);
  const jaccard = nb / (np + nr - nb);
  const relVolumeDiff = nr === 0 ? NaN : (np - nr) / nr;
  const base = { label, dice, jaccard, nsdTolerance: tolerance, ...counts, relVolumeDiff };
  if (dist === undefined) {
    return { ...base, hd: NaN, hd95: NaN, asd: NaN, nsd: NaN, predSurfaceVoxels: 0, refSurfaceVoxels: 0 };
  }
  const { predToRef: a, refToPred: b } = dist;
  const surf = { predSurfaceVoxels: a.length, refSurfaceVoxels: b.length };
  if (np === 0 || nr === 0) {
    // Nothing to measure a distance to; no border voxel of the non-empty side is within τ of anything.
    return { ...base, ...surf, hd: r.oneEmpty, hd95: r.oneEmpty, asd: r.oneEmpty, nsd: 0 };
  }
  const hd = Math.max(a[a.length - 1]!, b[b.length - 1]!);
  const hd95 = r.hd95Mode === "max" ? Math.max(percentileOfSorted(a, r.percentile), percentileOfSorted(b, r.percentile)) : percentileOfSorted(mergeSorted(a, b), r.percentile);
  const sa = sum(a);
  const sb = sum(b);
  const asd = r.asdMode === "pooled" ? (sa + sb) / (a.length + b.length) : r.asdMode === "mean" ? (sa / a.length + sb / b.length) / 2 : sa / a.length;
  // Distances equal to τ count as within; the slack absorbs rounding in d = √(Σ(Δ·s)²) so that a
  // distance of exactly τ (e.g. 2 voxels of 0.8 mm at τ = 1.6 mm) is not lost to the last bit.
  const lim = tolerance * (1 + 1e-9);
  const nsd = (countAtMost(a, lim) + countAtMost(b, lim)) / (a.length + b.length);
  return { ...base, ...surf, hd, hd95, asd, nsd };
}

function sum(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

/** Number of values ≤ lim in ascending `a` (binary search). */
function countAtMost(a: Float64Array, lim: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= lim) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function mergeSorted(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < a.length && j < b.length) out[o++] = a[i]! <= b[j]! ? a[i++]! : b[j++]!;
  while (i < a.length) out[o++] = a[i++]!;
  while (j < b.length) out[o++] = b[j++]!;
  return out;
}

/** Options of the single-metric functions ({@link dice}, {@link hd95}, …). */
export interface BinaryMetricOptions extends Omit<EvaluateOptions, "classes" | "surface" | "nsdTolerance"> {
  /** Class value compared; when absent every non-zero voxel is foreground (binary masks). */
  readonly label?: number;
  /** NSD tolerance τ in `unit`. @default 1 */
  readonly nsdTolerance?: number;
}

function single(pred: LabelMap, ref: LabelMap, opts: BinaryMetricOptions, surface: boolean): ClassMetrics {
  const n = checkLabelMap(pred, OP, "pred");
  checkLabelMap(ref, OP, "ref");
  const { label, ...rest } = opts;
  if (label !== undefined) return evaluateSegmentation(pred, ref, { ...rest, classes: [label], surface })[0]!;
  const bin = (m: LabelMap): LabelMap => ({ data: binarize(numericData(m, n), n), shape: m.shape, ...(m.spacing ? { spacing: m.spacing } : {}) });
  return evaluateSegmentation(bin(pred), bin(ref), { ...rest, classes: [1], surface })[0]!;
}

/**
 * Dice coefficient of one class (or of all foreground when no label is given).
 * @example
 * dice({ data: pred, shape }, { data: ref, shape }, { label: 1 });
 */
export function dice(pred: LabelMap, ref: LabelMap, opts: BinaryMetricOptions = {}): number {
  return single(pred, ref, opts, false).dice;
}

/** Jaccard index (IoU) of one class. @example jaccard(pred, ref, { label: 2 }); */
export function jaccard(pred: LabelMap, ref: LabelMap, opts: BinaryMetricOptions = {}): number {
  return single(pred, ref, opts, false).jaccard;
}

/** Hausdorff distance (maximum) of one class, mm unless `unit: "voxel"`. @example hausdorff(pred, ref, { label: 1 }); */
export function hausdorff(pred: LabelMap, ref: LabelMap, opts: BinaryMetricOptions = {}): number {
  return single(pred, ref, opts, true).hd;
}

/** 95th-percentile Hausdorff distance of one class. @example hd95(pred, ref, { label: 1, unit: "voxel" }); */
export function hd95(pred: LabelMap, ref: LabelMap, opts: BinaryMetricOptions = {}): number {
  return single(pred, ref, opts, true).hd95;
}

/** Average (symmetric) surface distance of one class. @example averageSurfaceDistance(pred, ref, { label: 1 }); */
export function averageSurfaceDistance(pred: LabelMap, ref: LabelMap, opts: BinaryMetricOptions = {}): number {
  return single(pred, ref, opts, true).asd;
}

/** Normalised surface Dice of one class at `nsdTolerance`. @example normalizedSurfaceDice(pred, ref, { label: 1, nsdTolerance: 2 }); */
export function normalizedSurfaceDice(pred: LabelMap, ref: LabelMap, opts: BinaryMetricOptions = {}): number {
  return single(pred, ref, opts, true).nsd;
}

/** Signed volume difference predicted − reference (mm³, or voxels). @example volumeDifference(pred, ref, { label: 1 }); */
export function volumeDifference(pred: LabelMap, ref: LabelMap, opts: BinaryMetricOptions = {}): number {
  return single(pred, ref, opts, false).volumeDiff;
}
