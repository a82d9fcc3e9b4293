// Intensity normalisation schemes, named as nnU-Net names them (default_normalization_schemes.py):
//  - "ct": clip to the 0.5/99.5 percentiles of foreground intensities over the training set, then
//    z-score with that foreground's mean and std (dataset-level statistics, from the fingerprint);
//  - "zscore": per image, mean/std of the image (or of a mask, e.g. the non-zero region for
//    skull-stripped MRI);
//  - "none": cast to float32.
// Non-finite voxels (NaN/Inf) are skipped by the statistics and stay non-finite in the output:
// deciding what they mean is the dataset check's job, not a silent fill here.

import { dtypeInfo } from "./dtype.js";
import { Volume } from "./volume.js";

/** Foreground intensity statistics (nnU-Net fingerprint "foreground_intensity_properties_per_channel"). */
export interface IntensityStats {
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
  readonly median: number;
  readonly percentile00_5: number;
  readonly percentile99_5: number;
  /** Finite values the statistics were computed from. */
  readonly count: number;
}

/** A normalisation scheme. */
export type NormalizationScheme =
  | { readonly kind: "ct"; readonly stats: IntensityStats }
  | { readonly kind: "zscore"; readonly mask?: Uint8Array }
  | { readonly kind: "none" };

/** Options of {@link foregroundIntensityStats}. */
export interface ForegroundStatsOptions {
  /** Channel of the images to use. @default 0 */
  readonly channel?: number;
  /** At most this many foreground voxels per case, drawn with the seeded RNG (nnU-Net uses 10000). @default Infinity */
  readonly samplesPerCase?: number;
  /** @default 1234 */
  readonly seed?: number;
}

/** Linear-interpolated percentile of sorted values (numpy's default method). */
export function percentileSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const x = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(x);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (x - lo);
}

function scalarValues(v: Volume, channel: number): ArrayLike<number> {
  const info = dtypeInfo(v.dtype);
  if (info.components > 1 || info.bigint) throw new TypeError(`Cannot compute intensity statistics of ${v.dtype} data`);
  if (!Number.isInteger(channel) || channel < 0 || channel >= v.channels) {
    throw new RangeError(`Cannot read channel ${channel}: volume has ${v.channels}`);
  }
  return (v.data as Float64Array).subarray(channel * v.voxelCount, (channel + 1) * v.voxelCount);
}

/** Mean, std, min, max, median and 0.5/99.5 percentiles of finite values. */
export function intensityStats(values: ArrayLike<number>): IntensityStats {
  const finite = Float64Array.from({ length: values.length }, (_, i) => values[i]!).filter(Number.isFinite);
  finite.sort();
  let sum = 0;
  for (const v of finite) sum += v;
  const mean = finite.length ? sum / finite.length : NaN;
  let ss = 0;
  for (const v of finite) ss += (v - mean) ** 2;
  return {
    mean,
    std: finite.length ? Math.sqrt(ss / finite.length) : NaN,
    min: finite.length ? finite[0]! : NaN,
    max: finite.length ? finite[finite.length - 1]! : NaN,
    median: percentileSorted(finite, 50),
    percentile00_5: percentileSorted(finite, 0.5),
    percentile99_5: percentileSorted(finite, 99.5),
    count: finite.length,
  };
}

/**
 * Statistics of image intensities inside the labels (label > 0) over a set of cases, for the "ct" scheme.
 * @throws RangeError when an image and its label map differ in shape.
 */
export function foregroundIntensityStats(images: readonly Volume[], labels: readonly Volume[], opts: ForegroundStatsOptions = {}): IntensityStats {
  if (images.length !== labels.length) throw new RangeError(`Cannot compute foreground statistics: ${images.length} images but ${labels.length} label maps`);
  const channel = opts.channel ?? 0;
  const limit = opts.samplesPerCase ?? Infinity;
  let seed = (opts.seed ?? 1234) >>> 0;
  const rand = (): number => {
    // xorshift32: deterministic sampling without pulling in the tensor generator.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const picked: number[] = [];
  images.forEach((img, n) => {
    const lab = labels[n]!;
    if (img.shape.some((s, a) => s !== lab.shape[a])) {
      throw new RangeError(`Cannot compute foreground statistics: case ${n} image shape [${img.shape.join(",")}] differs from label shape [${lab.shape.join(",")}]`);
    }
    const values = scalarValues(img, channel);
    const l = lab.data;
    const fg: number[] = [];
    for (let i = 0; i < img.voxelCount; i++) if (l[i]! > 0) fg.push(values[i]!);
    if (fg.length <= limit) picked.push(...fg);
    else for (let s = 0; s < limit; s++) picked.push(fg[Math.floor(rand() * fg.length)]!);
  });
  return intensityStats(picked);
}

/**
 * Normalises one channel-stack volume to float32 with a scheme.
 * @example
 * const stats = foregroundIntensityStats(trainImages, trainLabels);
 * const x = normalizeIntensity(ct, { kind: "ct", stats });
 */
export function normalizeIntensity(volume: Volume, scheme: NormalizationScheme): Volume<"float32"> {
  const out = new Float32Array(volume.voxelCount * volume.channels);
  for (let c = 0; c < volume.channels; c++) {
    const src = scalarValues(volume, c);
    const dst = out.subarray(c * volume.voxelCount, (c + 1) * volume.voxelCount);
    if (scheme.kind === "none") {
      for (let i = 0; i < dst.length; i++) dst[i] = src[i]!;
    } else if (scheme.kind === "ct") {
      const { mean, std, percentile00_5: lo, percentile99_5: hi } = scheme.stats;
      const s = Math.max(std, 1e-8);
      for (let i = 0; i < dst.length; i++) dst[i] = (Math.min(Math.max(src[i]!, lo), hi) - mean) / s;
    } else {
      const mask = scheme.mask;
      if (mask && mask.length !== volume.voxelCount) {
        throw new RangeError(`Cannot z-score: mask length must be ${volume.voxelCount}. Received: ${mask.length}`);
      }
      const chosen = mask ? Array.from({ length: mask.length }, (_, i) => (mask[i] ? src[i]! : NaN)) : src;
      const { mean, std } = intensityStats(chosen);
      const s = Math.max(std, 1e-8);
      // As nnU-Net with use_mask_for_norm: voxels outside the mask become 0.
      for (let i = 0; i < dst.length; i++) dst[i] = mask && !mask[i] ? 0 : (src[i]! - mean) / s;
    }
  }
  return new Volume({ data: out, dtype: "float32", shape: volume.shape, channels: volume.channels, affine: volume.affine });
}
