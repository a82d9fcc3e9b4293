// Sliding-window inference over a whole (preprocessed) volume.
//
// Memory. Each window's prediction is multiplied by the importance map and added in place into
// one preallocated accumulator (C, depth, H, W); no window ever allocates anything of the
// volume's size. In label mode the accumulator is only one patch deep: windows are processed in
// rows of equal z start, and once a row is done every plane before the next row's start can no
// longer change, so those planes are reduced to a uint8/uint16 label slab and the buffer slides
// on. Peak memory is then C × patch_z × H × W floats plus the input, whatever the depth.
//
// Normalisation. The windows form a full grid (every combination of per-axis starts) and the
// importance map is a product of 1-D weights, so the summed weight at a voxel factorises:
// W(z, y, x) = Sz(z)·Sy(y)·Sx(x) with Sa the 1-D sums. No weight buffer is kept; probabilities are
// divided by the outer product of three vectors, and labels need no division at all (argmax is
// unchanged by a positive per-voxel factor).
//
// Test-time augmentation and ensembles average softmax probabilities: every predictor (model)
// sees every mirrored copy of each window batch, and their mean is what gets accumulated.

import {
  type Tensor,
  ShapeError,
  addInPlace,
  argmax,
  copyInPlace,
  divInPlace,
  flip,
  mul,
  mulInPlace,
  noGrad,
  pad,
  softmax,
  stack,
  tensor,
  tidy,
  zeros,
  zeroInPlace,
} from "../tensor/index.js";
import { gaussianWeights1d, importanceMap, type ImportanceOptions, type Size3 } from "./gaussian.js";
import { checkOverlap, windowGrid } from "./windows.js";

/**
 * A model as the sliding window sees it: logits for a batch of windows. Called under noGrad
 * inside a scope, so temporaries it creates are freed; it must not dispose its input.
 * @param x (B, Cin, pd, ph, pw)
 * @returns logits (B, C, pd, ph, pw)
 */
export type Predictor = (x: Tensor) => Tensor;

/** Options of {@link slidingWindowProbabilities} and {@link slidingWindowLabels}. */
export interface SlidingWindowOptions extends ImportanceOptions {
  /** Window size (D, H, W) in voxels of the preprocessed volume (the plan's patch size). */
  readonly patchSize: Size3;
  /** Fraction of the patch shared by neighbouring windows, in [0, 1). @default 0.5 */
  readonly overlap?: number;
  /** Windows per forward pass. @default 1 */
  readonly batchSize?: number;
  /**
   * Spatial axes to mirror for test-time augmentation, 0 = D (z), 1 = H (y), 2 = W (x); every
   * subset is run (2^k passes), so [0, 1, 2] costs 8×. Off by default: on a CPU it is rarely
   * worth the time. @default []
   */
  readonly mirrorAxes?: readonly number[];
  /** "softmax" averages probabilities; "none" averages raw outputs (logits). @default "softmax" */
  readonly activation?: "softmax" | "none";
  /** Value used to pad a volume smaller than the patch. @default 0 */
  readonly padValue?: number;
  /** Called after every window batch with (windows done, windows in total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** A label map from {@link slidingWindowLabels}: (D, H, W) row-major, x fastest. */
export interface LabelGrid {
  readonly data: Uint8Array | Uint16Array;
  /** (D, H, W). */
  readonly shape: Size3;
  /** Output channels of the models (classes including background). */
  readonly numClasses: number;
}

interface Resolved {
  readonly patch: Size3;
  readonly overlap: number;
  readonly batch: number;
  readonly mirrors: number[][];
  readonly softmax: boolean;
  readonly padValue: number;
  readonly importance: ImportanceOptions;
  readonly onProgress: ((done: number, total: number) => void) | undefined;
}

function resolve(input: Tensor, predictors: readonly Predictor[], o: SlidingWindowOptions): Resolved {
  if (input.rank !== 4) throw new ShapeError("slidingWindow", "rank 4 (C, D, H, W)", input.shape);
  if (predictors.length === 0) throw new RangeError("Cannot run slidingWindow: give at least one predictor");
  const patch = o.patchSize;
  if (patch?.length !== 3 || !patch.every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw new RangeError(`Cannot run slidingWindow: patchSize must be 3 positive integers (D, H, W). Received: [${String(patch)}]`);
  }
  const overlap = o.overlap ?? 0.5;
  checkOverlap(overlap);
  const batch = o.batchSize ?? 1;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new RangeError(`Cannot run slidingWindow: batchSize must be a positive integer. Received: ${batch}`);
  const axes = [...new Set(o.mirrorAxes ?? [])];
  if (!axes.every((a) => a === 0 || a === 1 || a === 2)) {
    throw new RangeError(`Cannot run slidingWindow: mirrorAxes must be spatial axes 0 (D), 1 (H), 2 (W). Received: [${String(o.mirrorAxes)}]`);
  }
  // Every subset of the mirror axes, as tensor dims of a (B, C, D, H, W) batch.
  const mirrors: number[][] = [];
  for (let m = 0; m < 1 << axes.length; m++) mirrors.push(axes.filter((_, i) => (m >> i) & 1).map((a) => a + 2));
  const activation = o.activation ?? "softmax";
  if (activation !== "softmax" && activation !== "none") throw new RangeError(`Cannot run slidingWindow: activation must be "softmax" or "none". Received: ${String(activation)}`);
  const importance: ImportanceOptions = { ...(o.mode ? { mode: o.mode } : {}), ...(o.sigmaScale !== undefined ? { sigmaScale: o.sigmaScale } : {}) };
  return { patch, overlap, batch, mirrors, softmax: activation === "softmax", padValue: o.padValue ?? 0, importance, onProgress: o.onProgress };
}

/** Per-axis padding that brings the volume up to the patch size (extra voxel after). */
function padding(shape: Size3, patch: Size3): { before: Size3; padded: Size3 } {
  const before = shape.map((n, a) => Math.floor(Math.max(0, patch[a]! - n) / 2)) as unknown as Size3;
  const padded = shape.map((n, a) => Math.max(n, patch[a]!)) as unknown as Size3;
  return { before, padded };
}

/** Summed 1-D importance weights per axis over the window starts (the factorised normaliser). */
function axisWeightSums(padded: Size3, patch: Size3, grid: readonly number[][], o: ImportanceOptions): Float64Array[] {
  return [0, 1, 2].map((a) => {
    const g = gaussianWeights1d(patch[a]!, o);
    const s = new Float64Array(padded[a]!);
    for (const start of grid[a]!) for (let i = 0; i < patch[a]!; i++) s[start + i]! += g[i]!;
    return s;
  });
}

/** Receives finished planes [z0, z0 + n) of the unpadded volume: (C, n, H, W), un-normalised, borrowed. */
type Sink = (z0: number, planes: Tensor) => void;

/** What {@link run} hands back. */
interface RunResult {
  /** Output channels of the predictors. */
  numClasses: number;
  /** The factorised normaliser per axis, on the unpadded volume. */
  weights: Float64Array[];
  /** Without a sink: the whole accumulator cropped to the unpadded volume (C, D, H, W), un-normalised. */
  acc?: Tensor;
}

/** Runs the predictors on one batch of windows: the mirror/model average times the importance map. */
function predictBatch(batch: Tensor, predictors: readonly Predictor[], r: Resolved, imp: Tensor): Tensor {
  const [b, , pd, ph, pw] = batch.shape as [number, number, number, number, number];
  return tidy(() => {
    let sum: Tensor | undefined;
    for (const predict of predictors) {
      for (const dims of r.mirrors) {
        const probs = tidy(() => {
          const inp = dims.length ? flip(batch, dims) : batch;
          const logits = predict(inp);
          const s = logits.shape;
          if (s.length !== 5 || s[0] !== b || s[2] !== pd || s[3] !== ph || s[4] !== pw) {
            throw new ShapeError("slidingWindow predictor output", `(B=${b}, C, ${pd}, ${ph}, ${pw})`, s);
          }
          const p = r.softmax ? softmax(logits, 1) : logits;
          return dims.length ? flip(p, dims) : p;
        });
        if (sum === undefined) sum = probs;
        else {
          if (probs.shape[1] !== sum.shape[1]) throw new ShapeError("slidingWindow predictor output", `${sum.shape[1]} channels like the first predictor`, probs.shape);
          addInPlace(sum, probs);
        }
      }
    }
    return mul(sum!, imp);
  });
}

/**
 * The shared engine: runs every window (rows of equal z start) and accumulates in place. With a
 * sink, the accumulator is one patch deep, slides along z, and finished planes go to the sink;
 * without, the whole accumulator is returned.
 */
function run(input: Tensor, predictors: readonly Predictor[], r: Resolved, sink?: Sink): RunResult {
  const [, d, h, w] = input.shape as [number, number, number, number];
  const shape: Size3 = [d, h, w];
  const { before, padded } = padding(shape, r.patch);
  const [pd, ph, pw] = r.patch;
  const grid = windowGrid(padded, r.patch, r.overlap);
  const weights = axisWeightSums(padded, r.patch, grid, r.importance).map((s, a) => s.subarray(before[a]!, before[a]! + shape[a]!));
  const total = grid[0].length * grid[1].length * grid[2].length;
  const depth = sink ? pd : padded[0];
  const windows: [number, number][] = [];
  for (const y of grid[1]) for (const xs of grid[2]) windows.push([y, xs]);

  return tidy(() => {
    const needsPad = padded.some((n, a) => n !== shape[a]);
    const x = needsPad
      ? pad(input, [before[2], padded[2] - w - before[2], before[1], padded[1] - h - before[1], before[0], padded[0] - d - before[0]], "constant", r.padValue)
      : input;
    const imp = tensor(importanceMap(r.patch, r.importance), [1, 1, pd, ph, pw]);
    // Scaling the importance map once folds the model/mirror average into the accumulation.
    mulInPlace(imp, 1 / (predictors.length * r.mirrors.length));
    let acc: Tensor | undefined;
    let zlo = 0;
    let done = 0;
    const crop = (t: Tensor, from: number, to: number): Tensor =>
      t.slice(1, from - zlo, to - zlo).slice(2, before[1], before[1] + h).slice(3, before[2], before[2] + w);

    const zs = grid[0];
    for (let row = 0; row < zs.length; row++) {
      const z = zs[row]!;
      if (sink && acc && row > 0) {
        // Slide: planes before z were emitted; move [z, zlo + depth) to the front, zero the rest.
        const shift = z - zlo;
        const a = acc;
        tidy(() => {
          if (shift < depth) {
            const tail = a.slice(1, shift, depth).clone();
            copyInPlace(a.slice(1, 0, depth - shift), tail);
            zeroInPlace(a.slice(1, depth - shift, depth));
          } else zeroInPlace(a);
        });
        zlo = z;
      }
      for (let i = 0; i < windows.length; i += r.batch) {
        const part = windows.slice(i, i + r.batch);
        const weighted = tidy(() => predictBatch(stack(part.map(([y, xs]) => x.slice(1, z, z + pd).slice(2, y, y + ph).slice(3, xs, xs + pw)), 0), predictors, r, imp));
        if (!acc) acc = zeros([weighted.shape[1]!, depth, padded[1], padded[2]]);
        else if (weighted.shape[1] !== acc.shape[0]) throw new ShapeError("slidingWindow predictor output", `${acc.shape[0]} channels`, weighted.shape);
        const a = acc;
        tidy(() => {
          part.forEach(([y, xs], b) => {
            addInPlace(a.slice(1, z - zlo, z - zlo + pd).slice(2, y, y + ph).slice(3, xs, xs + pw), weighted.slice(0, b, b + 1).squeeze(0));
          });
        });
        weighted.dispose();
        done += part.length;
        r.onProgress?.(done, total);
      }
      if (sink) {
        // Planes before the next row's start are final; hand over the part inside the volume.
        const a = Math.max(z, before[0]);
        const b = Math.min(row + 1 < zs.length ? zs[row + 1]! : padded[0], before[0] + d);
        const ac = acc!;
        if (a < b) tidy(() => sink(a - before[0], crop(ac, a, b)));
      }
    }
    const numClasses = acc!.shape[0]!;
    if (sink) {
      acc!.dispose();
      return { numClasses, weights };
    }
    return { numClasses, weights, acc: needsPad ? crop(acc!, before[0], before[0] + d).contiguous() : acc! };
  });
}

/**
 * Sliding-window prediction of a whole volume: the average (over windows, weighted by the
 * importance map; over mirrors; over predictors) of the softmax probabilities.
 * @param input (Cin, D, H, W) float32, already preprocessed (any size; padded when below the patch)
 * @param predictors one model, or several for an ensemble
 * @returns probabilities (C, D, H, W), owned by the caller
 * @example
 * const probs = slidingWindowProbabilities(x, [networkPredictor(net)], { patchSize: [64, 64, 64] });
 */
export function slidingWindowProbabilities(input: Tensor, predictors: readonly Predictor[], opts: SlidingWindowOptions): Tensor {
  const r = resolve(input, predictors, opts);
  const [, d, h, w] = input.shape as [number, number, number, number];
  return noGrad(() =>
    tidy(() => {
      const { acc, weights } = run(input, predictors, r);
      const [sz, sy, sx] = weights as [Float64Array, Float64Array, Float64Array];
      const norm = mul(mul(tensor(Float32Array.from(sz), [d, 1, 1]), tensor(Float32Array.from(sy), [1, h, 1])), tensor(Float32Array.from(sx), [1, 1, w]));
      divInPlace(acc!, norm);
      return acc!;
    }),
  );
}

/**
 * Sliding-window segmentation straight to a compact label map: argmax of the averaged
 * probabilities, computed slab by slab so that only one patch-deep accumulator exists.
 * @param input (Cin, D, H, W) float32, preprocessed
 * @returns labels (D, H, W) as uint8 (uint16 above 256 classes); no tensors to dispose
 * @example
 * const { data, shape } = slidingWindowLabels(x, [networkPredictor(net)], { patchSize: [64, 64, 64], overlap: 0.5 });
 */
export function slidingWindowLabels(input: Tensor, predictors: readonly Predictor[], opts: SlidingWindowOptions): LabelGrid {
  const r = resolve(input, predictors, opts);
  const [, d, h, w] = input.shape as [number, number, number, number];
  let data: Uint8Array | Uint16Array | undefined;
  const { numClasses } = noGrad(() =>
    run(input, predictors, r, (z0, planes) => {
      const wide = planes.shape[0]! > 256;
      data ??= wide ? new Uint16Array(d * h * w) : new Uint8Array(d * h * w);
      const v = argmax(planes, 0).to(wide ? "int16" : "uint8").dataSync() as Uint8Array | Int16Array;
      data.set(wide ? new Uint16Array(v.buffer, v.byteOffset, v.length) : v, z0 * h * w);
    }),
  );
  return { data: data!, shape: [d, h, w], numClasses };
}
