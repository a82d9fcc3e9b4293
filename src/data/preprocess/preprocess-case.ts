// One case through the plan's preprocessing: reorient to RAS, crop to the non-zero region,
// normalise each channel, resample to the target spacing (images linear, labels nearest or
// label-linear), then sample foreground locations and carry boxes onto the new grid.
// Normalising before resampling follows nnU-Net: the statistics come from the stored voxels.
import { axcodesOf } from "../../io/index.js";
import { type Mat4, type Vec3, Volume, applyAffine, invertAffine, resampleToSpacing, intensityStats } from "../../volume/index.js";
import type { ResolvedBox } from "../dataset/index.js";
import { reorientAndCrop } from "../fingerprint/index.js";
import type { ChannelNormalization, PlanConfiguration } from "../plan/index.js";
import { Rng, mixSeed } from "../random/index.js";
import type { CaseBox, LabelArray, PreprocessedCase } from "./types.js";

/** Options of {@link preprocessCase}. */
export interface PreprocessCaseOptions {
  /** Foreground locations kept per class (nnU-Net keeps 10,000). @default 10000 */
  maxLocationsPerClass?: number;
  /** Seed of the location sampling (mixed with the case id). @default 1234 */
  seed?: number;
  /** Label value to leave out of the foreground locations ("ignore"). */
  ignoreLabel?: number | null;
}

/** Normalises one channel in place of a copy; `mask` marks the non-zero region (all channels). */
function normalizeChannel(src: ArrayLike<number>, n: ChannelNormalization, mask: Uint8Array): Float32Array {
  const out = new Float32Array(src.length);
  if (n.scheme === "none") {
    for (let i = 0; i < out.length; i++) out[i] = src[i]!;
  } else if (n.scheme === "ct") {
    const [lo, hi] = n.clip;
    const s = Math.max(n.std, 1e-8);
    for (let i = 0; i < out.length; i++) out[i] = (Math.min(Math.max(src[i]!, lo), hi) - n.mean) / s;
  } else {
    const values: number[] = [];
    for (let i = 0; i < src.length; i++) if (!n.useNonzeroMask || mask[i]) values.push(src[i]!);
    const st = intensityStats(values);
    const mean = Number.isFinite(st.mean) ? st.mean : 0;
    const s = Math.max(Number.isFinite(st.std) ? st.std : 0, 1e-8);
    // Outside the mask the scan is padding, not tissue: 0 (the normalised mean) as nnU-Net does.
    for (let i = 0; i < out.length; i++) out[i] = n.useNonzeroMask && !mask[i] ? 0 : (src[i]! - mean) / s;
  }
  return out;
}

function toLabelArray(v: Volume): LabelArray {
  const d = v.data as ArrayLike<number | bigint>;
  let max = 0;
  for (let i = 0; i < d.length; i++) {
    const x = Number(d[i]);
    if (!(x >= 0) || !Number.isInteger(x)) throw new RangeError(`Cannot preprocess label: value ${x} at voxel ${i} is not a non-negative integer`);
    if (x > max) max = x;
  }
  const out = max > 255 ? new Uint16Array(d.length) : new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

/** Up to `max` flat indices per label value (> 0, not ignore), drawn without bias from all of them. */
export function sampleClassLocations(label: LabelArray, max: number, rng: Rng, ignore: number | null): Map<number, Uint32Array> {
  const all = new Map<number, number[]>();
  for (let i = 0; i < label.length; i++) {
    const v = label[i]!;
    if (v === 0 || v === ignore) continue;
    let list = all.get(v);
    if (!list) all.set(v, (list = []));
    list.push(i);
  }
  const out = new Map<number, Uint32Array>();
  for (const v of [...all.keys()].sort((a, b) => a - b)) {
    const list = all.get(v)!;
    if (list.length <= max) out.set(v, Uint32Array.from(list));
    else {
      // Partial Fisher-Yates: the first `max` entries become a uniform sample without replacement.
      for (let i = 0; i < max; i++) {
        const j = i + rng.int(list.length - i);
        [list[i], list[j]] = [list[j]!, list[i]!];
      }
      out.set(v, Uint32Array.from(list.slice(0, max)).sort());
    }
  }
  return out;
}

/** Maps a voxel box of the stored image onto the preprocessed grid (all voxels the box touches). */
export function mapBox(box: ResolvedBox, from: Mat4, to: Mat4, shape: readonly number[]): CaseBox {
  const toInv = invertAffine(to);
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let c = 0; c < 8; c++) {
    // Voxel n spans index coordinates n - 0.5 .. n + 0.5, so a box [min, max) spans min - 0.5 .. max - 0.5.
    const corner = [0, 1, 2].map((a) => ((c >> a) & 1 ? box.voxel.max[a]! : box.voxel.min[a]!) - 0.5) as unknown as Vec3;
    const p = applyAffine(toInv, applyAffine(from, corner));
    for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a]!, p[a]!);
      hi[a] = Math.max(hi[a]!, p[a]!);
    }
  }
  const min = lo.map((x, a) => Math.min(shape[a]!, Math.max(0, Math.ceil(x - 1e-6)))) as [number, number, number];
  const max = hi.map((x, a) => Math.min(shape[a]!, Math.max(min[a]!, Math.floor(x + 1e-6) + 1))) as [number, number, number];
  return { label: box.label, value: box.value, min, max };
}

/**
 * Preprocesses one case (images in channel order, optional label, optional boxes on the stored grid).
 * @example
 * const pc = preprocessCase("case_001", images, label, null, config, { ignoreLabel: null });
 */
export function preprocessCase(
  id: string,
  images: readonly Volume[],
  label: Volume | null,
  boxes: readonly ResolvedBox[] | null,
  config: PlanConfiguration,
  opts: PreprocessCaseOptions = {},
): PreprocessedCase {
  if (images.length !== config.normalization.length) {
    throw new RangeError(`Cannot preprocess case ${id}: ${images.length} channel(s), the plan normalises ${config.normalization.length}`);
  }
  const first = images[0]!;
  const cropped = reorientAndCrop(images, label);
  const base = cropped.images[0]!;
  const mask = new Uint8Array(base.voxelCount);
  for (const v of cropped.images) {
    const d = v.data as ArrayLike<number>;
    for (let i = 0; i < mask.length; i++) if (d[i] !== 0) mask[i] = 1;
  }
  const target = config.spacing as unknown as Vec3;
  const channels = cropped.images.map((v, c) => {
    const norm = new Volume({ data: normalizeChannel(v.data as ArrayLike<number>, config.normalization[c]!, mask), shape: v.shape, affine: v.affine });
    return resampleToSpacing(norm, target, { interpolation: config.resampling.image });
  });
  const out = channels[0]!;
  const n = out.voxelCount;
  const image = new Float32Array(n * channels.length);
  channels.forEach((v, c) => image.set(v.data as Float32Array, c * n));
  let lab: LabelArray | null = null;
  if (cropped.label) {
    const asLabel = new Volume({ data: toLabelArray(cropped.label), shape: cropped.label.shape, affine: cropped.label.affine });
    lab = resampleToSpacing(asLabel, target, { interpolation: config.resampling.label }).data as LabelArray;
  }
  const ignore = opts.ignoreLabel ?? null;
  const classLocations = lab ? sampleClassLocations(lab, opts.maxLocationsPerClass ?? 10000, new Rng(mixSeed(opts.seed ?? 1234, id)), ignore) : new Map<number, Uint32Array>();
  return {
    id,
    shape: [...out.shape] as [number, number, number],
    channels: channels.length,
    image,
    label: lab,
    classLocations,
    boxes: boxes === null ? null : boxes.map((b) => mapBox(b, first.affine, out.affine, out.shape)),
    meta: {
      spacing: [...out.spacing] as [number, number, number],
      affine: out.affine,
      originalShape: [...first.shape] as [number, number, number],
      originalSpacing: [...first.spacing] as [number, number, number],
      originalOrientation: axcodesOf(first.affine),
      cropStart: [...cropped.bbox.start] as [number, number, number],
      cropEnd: [...cropped.bbox.end] as [number, number, number],
    },
  };
}
