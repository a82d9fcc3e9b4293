// Preprocessing for inference and its exact inverse. The way in is training's own
// `preprocessCase` from src/data (reorient to RAS → crop to the non-zero region → normalise each
// channel → resample to the target spacing), so a scan reaches the network exactly as training
// cases did. The way back undoes those steps in reverse order with the inverse of each grid
// mapping, so the label map lies on the scan's own voxel grid and carries the scan's own affine.

import { preprocessCase, type PlanConfiguration } from "../data/index.js";
import { reorient, undoReorient, type OrientationRecord } from "../io/index.js";
import { allocVoxels, resampleToShape, Volume, type Mat4, type Shape3 } from "../volume/index.js";
import { applyNonFinitePolicy, type NonFinitePolicy } from "./non-finite.js";

/** Everything needed to put a network-grid result back on the scan's grid. */
export interface InverseRecord {
  readonly originalShape: Shape3;
  readonly originalAffine: Mat4;
  /** How the scan was reoriented (to the plan's orientation). */
  readonly orientation: OrientationRecord;
  /** Crop box [start, end) in the reoriented grid. */
  readonly cropStart: Shape3;
  readonly cropEnd: Shape3;
  /** Shape after cropping, before resampling: where resampled results return to. */
  readonly croppedShape: Shape3;
  /** Shape of the network grid (x, y, z). */
  readonly networkShape: Shape3;
  /** Whether the network grid differs from the cropped grid. */
  readonly resampled: boolean;
}

/** A scan on the network's grid. */
export interface PreparedCase {
  /** float32, channels stacked after the spatial axes (tensor (C, D, H, W) = (c, k, j, i)). */
  readonly image: Volume<"float32">;
  readonly inverse: InverseRecord;
  /** Non-finite voxels found and replaced (the "error" policy throws instead). */
  readonly nonFinite: number;
}

/** Options of {@link prepareCase}. */
export interface PrepareOptions {
  /** NaN/±Inf voxels: "error" throws NonFiniteInputError; "zero" or "min" (channel minimum) replace them. @default "error" */
  readonly nonFinite?: NonFinitePolicy;
  /** Case id for messages. @default "case" */
  readonly id?: string;
}

/** One channel of a multi-channel volume as its own single-channel volume (a view, no copy). */
function channelOf(v: Volume, c: number): Volume {
  if (v.channels === 1) return v;
  const n = v.voxelCount;
  const data = (v.data as Float32Array).subarray(c * n, (c + 1) * n);
  return new Volume({ data, dtype: v.dtype, shape: v.shape, affine: v.affine } as never);
}

/**
 * How `reorient` maps a grid, without moving the scan's voxels (a one-byte-per-voxel stand-in
 * goes through it instead).
 */
function orientationRecordOf(shape: Shape3, affine: Mat4, target: string): OrientationRecord {
  return reorient(new Volume({ data: new Uint8Array(shape[0] * shape[1] * shape[2]), shape, affine }), target).record;
}

/**
 * Brings a scan onto the network's grid with training's preprocessing, recording how to undo it.
 * @param image the scan as read (any dtype, any orientation; channels stacked after the spatial axes)
 * @param config the plan configuration the model was trained with
 * @throws NonFiniteInputError under the default NaN/Inf policy
 * @example
 * const { image: x, inverse } = prepareCase(scan, resolvePlanConfiguration(plans, "3d_fullres"));
 */
export function prepareCase(image: Volume, config: PlanConfiguration, opts: PrepareOptions = {}): PreparedCase {
  const { volume: finite, replaced } = applyNonFinitePolicy(image, opts.nonFinite ?? "error");
  const channels = Array.from({ length: finite.channels }, (_, c) => channelOf(finite, c));
  const pc = preprocessCase(opts.id ?? "case", channels, null, null, config);
  const orientation = orientationRecordOf(image.shape, image.affine, config.orientation);
  const m = pc.meta;
  const croppedShape = [0, 1, 2].map((a) => m.cropEnd[a]! - m.cropStart[a]!) as unknown as Shape3;
  const networkShape = [...pc.shape] as unknown as Shape3;
  return {
    image: new Volume({ data: pc.image, dtype: "float32", shape: networkShape, channels: pc.channels, affine: m.affine }),
    nonFinite: replaced,
    inverse: {
      originalShape: image.shape,
      originalAffine: image.affine,
      orientation,
      cropStart: [...m.cropStart] as unknown as Shape3,
      cropEnd: [...m.cropEnd] as unknown as Shape3,
      croppedShape,
      networkShape,
      resampled: networkShape.some((n, a) => n !== croppedShape[a]),
    },
  };
}

/**
 * Puts a label map that lies on the cropped grid (any resampling already undone) back on the
 * scan's grid: paste into the reoriented volume, undo the reorientation, restore the affine.
 * @param labels uint8/uint16 on `inverse.croppedShape` (x fastest)
 */
export function uncropAndReorient(labels: Uint8Array | Uint16Array, inverse: InverseRecord): Volume<"uint8" | "uint16"> {
  const dtype = labels instanceof Uint16Array ? "uint16" : "uint8";
  const rec = inverse.orientation;
  const [nx, ny, nz] = rec.reorientedShape;
  const [cx, cy, cz] = inverse.croppedShape;
  const [sx, sy, sz] = inverse.cropStart;
  let full = labels;
  if (cx !== nx || cy !== ny || cz !== nz) {
    full = allocVoxels(dtype, nx * ny * nz) as Uint8Array | Uint16Array;
    for (let k = 0; k < cz; k++) {
      for (let j = 0; j < cy; j++) {
        const src = (k * cy + j) * cx;
        full.set(labels.subarray(src, src + cx) as never, sx + nx * (sy + j + ny * (sz + k)));
      }
    }
  }
  const reoriented = new Volume({ data: full, dtype, shape: rec.reorientedShape, affine: rec.reorientedAffine }) as Volume<"uint8" | "uint16">;
  // undoReorient restores the original affine exactly; withAffine makes that explicit for readers.
  return undoReorient(reoriented, rec).withAffine(inverse.originalAffine);
}

/**
 * Brings a network-grid label map back onto the scan's grid: per-class linear resampling of the
 * label map to the cropped grid ("label-linear", or "nearest"), then uncrop and undo the
 * reorientation.
 * @param labels uint8/uint16 on `inverse.networkShape` (x fastest)
 */
export function restoreLabels(labels: Uint8Array | Uint16Array, inverse: InverseRecord, interpolation: "label-linear" | "nearest" = "label-linear"): Volume<"uint8" | "uint16"> {
  let onCrop = labels;
  if (inverse.resampled) {
    const dtype = labels instanceof Uint16Array ? "uint16" : "uint8";
    const net = new Volume({ data: labels, dtype, shape: inverse.networkShape } as never);
    onCrop = resampleToShape(net, inverse.croppedShape, { interpolation }).data as Uint8Array | Uint16Array;
  }
  return uncropAndReorient(onCrop, inverse);
}
