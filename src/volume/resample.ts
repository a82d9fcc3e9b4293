// Resampling to a target spacing or shape. The output grid is described by one matrix M mapping
// output voxel coordinates to input voxel coordinates; the same M drives the sampling and the new
// affine (A_out = A_in · M), so geometry and voxels can never disagree.
//
// Two grid conventions:
//  - "edges" (default; nnU-Net / skimage.resize): the output covers exactly the input's world
//    extent (outer voxel faces). Shape = round(shape·spacing/target); the actual spacing is
//    extent/shape, within half a voxel of the target. Resampling back to the original shape
//    restores the original grid exactly, which is what predictions need.
//  - "origin" (the usual SimpleITK recipe): spacing is exactly the target and voxel (0,0,0) keeps
//    its world position; the far faces move by up to half an output voxel. Samples beyond the
//    input are clamped to the border voxel.
//
// "bspline" (cubic B-spline, exact prefilter; bspline.ts) uses the same grids and the same edge
// extension (the image continues with its border values, scipy.ndimage mode="nearest"); unlike
// trilinear, it is smooth across the border instead of exactly flat beyond the border centres.

import { mat4Mul, type Mat4, type Vec3 } from "./affine.js";
import { bsplineResample } from "./bspline.js";
import { allocVoxels, dtypeInfo, type VoxelDType } from "./dtype.js";
import { Volume, type Shape3 } from "./volume.js";

/** How voxel values are interpolated. */
export type Interpolation = "linear" | "bspline" | "nearest" | "label-linear";

const INTERPOLATIONS: readonly Interpolation[] = ["linear", "bspline", "nearest", "label-linear"];

/** Options for {@link resampleToSpacing} and {@link resampleToShape}. */
export interface ResampleOptions {
  /**
   * "linear" (trilinear) for images; "bspline" (cubic B-spline, interpolating: smoother and more
   * accurate than trilinear on smooth images, may overshoot at sharp edges) for images; "nearest"
   * for labels; "label-linear" picks, per output voxel, the label with the largest trilinear weight
   * (nnU-Net's per-class linear resampling of segmentations). "linear" and "bspline" return float32
   * (float64 for float64 input).
   * @default "linear" for float dtypes, "nearest" for integer dtypes
   */
  readonly interpolation?: Interpolation;
  /** @default "edges" */
  readonly grid?: "edges" | "origin";
}

/** One axis of the output -> input mapping: input coordinate = scale·out + offset. */
interface AxisMap {
  readonly scale: number;
  readonly offset: number;
}

/** Output shape for a target spacing: round(shape·spacing/target), at least 1 (nnU-Net compute_new_shape). */
export function shapeForSpacing(shape: Shape3, spacing: Vec3, target: Vec3): Shape3 {
  if (!target.every((t) => Number.isFinite(t) && t > 0)) {
    throw new RangeError(`Cannot resample: target spacing must be finite and > 0. Received: [${target.join(",")}]`);
  }
  return [0, 1, 2].map((a) => Math.max(1, Math.round((shape[a]! * spacing[a]!) / target[a]!))) as unknown as Shape3;
}

/**
 * Resamples to a target voxel spacing (mm per index axis).
 * @example
 * const iso = resampleToSpacing(ct, [1, 1, 1]);                       // trilinear, float32
 * const lab = resampleToSpacing(seg, [1, 1, 1], { interpolation: "nearest" });
 * const smooth = resampleToSpacing(mr, [1, 1, 1], { interpolation: "bspline" }); // cubic B-spline
 */
export function resampleToSpacing(volume: Volume, target: Vec3, opts: ResampleOptions = {}): Volume {
  const shape = shapeForSpacing(volume.shape, volume.spacing, target);
  if ((opts.grid ?? "edges") === "edges") return resampleToShape(volume, shape, opts);
  const axes = [0, 1, 2].map((a) => ({ scale: target[a]! / volume.spacing[a]!, offset: 0 }));
  return resampleWith(volume, shape, axes, opts.interpolation);
}

/**
 * Resamples to a given shape over the same world extent ("edges" grid), e.g. a prediction back
 * onto the grid of the original scan.
 */
export function resampleToShape(volume: Volume, shape: Shape3, opts: Omit<ResampleOptions, "grid"> = {}): Volume {
  if (shape.length !== 3 || !shape.every((n) => Number.isSafeInteger(n) && n > 0)) {
    throw new RangeError(`Cannot resample: shape must be 3 positive integers. Received: [${shape.join(",")}]`);
  }
  // skimage/nnU-Net centre mapping: in = (out + 0.5)·(nIn/nOut) − 0.5
  const axes = [0, 1, 2].map((a) => {
    const s = volume.shape[a]! / shape[a]!;
    return { scale: s, offset: 0.5 * s - 0.5 };
  });
  return resampleWith(volume, shape, axes, opts.interpolation);
}

function resampleWith(volume: Volume, shape: Shape3, axes: AxisMap[], interp: Interpolation | undefined): Volume {
  const info = dtypeInfo(volume.dtype);
  if (info.components > 1) throw new TypeError(`Cannot resample ${volume.dtype} data: only scalar voxel types are supported`);
  const mode = interp ?? (info.integer ? "nearest" : "linear");
  if (!INTERPOLATIONS.includes(mode)) {
    throw new RangeError(`Cannot resample: unknown interpolation. Expected one of ${INTERPOLATIONS.join(", ")}. Received: ${String(mode)}`);
  }
  if (mode !== "nearest" && info.bigint) throw new TypeError(`Cannot ${mode}-resample ${volume.dtype} data: use "nearest"`);
  const m: Mat4 = [
    [axes[0]!.scale, 0, 0, axes[0]!.offset],
    [0, axes[1]!.scale, 0, axes[1]!.offset],
    [0, 0, axes[2]!.scale, axes[2]!.offset],
    [0, 0, 0, 1],
  ];
  const affine = mat4Mul(volume.affine, m);
  const float = mode === "linear" || mode === "bspline";
  const outDType: VoxelDType = float ? (volume.dtype === "float64" ? "float64" : "float32") : volume.dtype;
  const n = shape[0] * shape[1] * shape[2];
  const out = allocVoxels(outDType, n * volume.channels);
  if (mode === "bspline") {
    bsplineResample(volume.data as Float64Array, volume.shape, volume.channels, shape, axes, out as Float32Array | Float64Array);
    return new Volume({ data: out as never, dtype: outDType, shape, channels: volume.channels, affine });
  }
  const taps = axes.map((a, d) => axisTaps(a, shape[d]!, volume.shape[d]!));
  const [tx, ty, tz] = taps as [Taps, Taps, Taps];
  const [nx, ny] = volume.shape;
  const src = volume.data as Float64Array;
  const dst = out as Float64Array;
  const block = volume.voxelCount;
  let o = 0;
  for (let c = 0; c < volume.channels; c++) {
    const base = c * block;
    for (let k = 0; k < shape[2]; k++) {
      for (let j = 0; j < shape[1]; j++) {
        for (let i = 0; i < shape[0]; i++, o++) {
          if (mode === "nearest") {
            dst[o] = src[base + tx.near[i]! + nx * (ty.near[j]! + ny * tz.near[k]!)]!;
            continue;
          }
          const x0 = tx.lo[i]!, x1 = tx.hi[i]!, wx = tx.w[i]!;
          const y0 = ty.lo[j]! * nx, y1 = ty.hi[j]! * nx, wy = ty.w[j]!;
          const z0 = tz.lo[k]! * nx * ny, z1 = tz.hi[k]! * nx * ny, wz = tz.w[k]!;
          if (mode === "linear") {
            const c00 = src[base + x0 + y0 + z0]! * (1 - wx) + src[base + x1 + y0 + z0]! * wx;
            const c10 = src[base + x0 + y1 + z0]! * (1 - wx) + src[base + x1 + y1 + z0]! * wx;
            const c01 = src[base + x0 + y0 + z1]! * (1 - wx) + src[base + x1 + y0 + z1]! * wx;
            const c11 = src[base + x0 + y1 + z1]! * (1 - wx) + src[base + x1 + y1 + z1]! * wx;
            dst[o] = (c00 * (1 - wy) + c10 * wy) * (1 - wz) + (c01 * (1 - wy) + c11 * wy) * wz;
          } else {
            dst[o] = majorityLabel(src, base, [x0, x1], [y0, y1], [z0, z1], [wx, wy, wz]);
          }
        }
      }
    }
  }
  return new Volume({ data: out as never, dtype: outDType, shape, channels: volume.channels, affine });
}

/** Per output index along one axis: the two neighbouring input indices, the weight of the upper one, the nearest. */
interface Taps {
  lo: Int32Array;
  hi: Int32Array;
  w: Float64Array;
  near: Int32Array;
}

function axisTaps(a: AxisMap, nOut: number, nIn: number): Taps {
  const t: Taps = { lo: new Int32Array(nOut), hi: new Int32Array(nOut), w: new Float64Array(nOut), near: new Int32Array(nOut) };
  for (let i = 0; i < nOut; i++) {
    // Clamp to the border voxel centres: values beyond them repeat the edge ("edge" mode in skimage).
    const x = Math.min(Math.max(a.scale * i + a.offset, 0), nIn - 1);
    const lo = Math.floor(x);
    t.lo[i] = lo;
    t.hi[i] = Math.min(lo + 1, nIn - 1);
    t.w[i] = x - lo;
    // Round half up, nudged so float noise (2.4999999) cannot flip a choice a test can predict.
    t.near[i] = Math.min(Math.floor(x + 0.5 + 1e-9), nIn - 1);
  }
  return t;
}

/** Label of the 2×2×2 neighbourhood with the largest summed trilinear weight (ties: smaller label). */
function majorityLabel(src: Float64Array, base: number, xs: number[], ys: number[], zs: number[], w: number[]): number {
  let best = 0;
  let bestW = -1;
  const labels: number[] = [];
  const weights: number[] = [];
  for (let dz = 0; dz < 2; dz++) {
    for (let dy = 0; dy < 2; dy++) {
      for (let dx = 0; dx < 2; dx++) {
        const wt = (dx ? w[0]! : 1 - w[0]!) * (dy ? w[1]! : 1 - w[1]!) * (dz ? w[2]! : 1 - w[2]!);
        const l = src[base + xs[dx]! + ys[dy]! + zs[dz]!]!;
        const at = labels.indexOf(l);
        if (at >= 0) weights[at]! += wt;
        else {
          labels.push(l);
          weights.push(wt);
        }
      }
    }
  }
  for (let q = 0; q < labels.length; q++) {
    if (weights[q]! > bestW + 1e-12 || (Math.abs(weights[q]! - bestW) <= 1e-12 && labels[q]! < best)) {
      best = labels[q]!;
      bestW = weights[q]!;
    }
  }
  return best;
}
