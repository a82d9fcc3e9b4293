// Computes a dataset's fingerprint: per case spacing and shapes (after reorientation to RAS and
// cropping to the non-zero region), and per channel intensity statistics from a seeded sample of
// foreground voxels. Cases are read a few at a time, so memory stays at a few volumes.
import { readFile } from "node:fs/promises";
import { reorient } from "../../io/index.js";
import { crop, intensityStats, nonzeroBBox, type BBox, type Volume } from "../../volume/index.js";
import { mapPool } from "../_internal/pool.js";
import { type Dataset, type DatasetCase, parseWith, parseJsonText, readCase } from "../dataset/index.js";
import { writeJsonAtomic } from "../../util/index.js";
import { Rng, mixSeed } from "../random/index.js";
import { type ChannelIntensity, type Fingerprint, type FingerprintCase, FINGERPRINT_VERSION, FingerprintSchema } from "./schema.js";

/** Options of {@link computeFingerprint}. */
export interface FingerprintOptions {
  /** Foreground voxels sampled per case and channel (nnU-Net uses 10,000). @default 10000 */
  samplesPerCase?: number;
  /** Seed of the voxel sampling. @default 1234 */
  seed?: number;
  /** Cases read at once. @default 2 */
  concurrency?: number;
  /** Called after each case. */
  onProgress?: (done: number, total: number, caseId: string) => void;
}

/** A case reoriented to RAS and cropped to its non-zero image region (shared with preprocessing). */
export interface CroppedCase {
  /** One volume per channel. */
  images: Volume[];
  label: Volume | null;
  /** Shape after reorientation, before cropping. */
  shape: readonly [number, number, number];
  /** The crop box in the reoriented grid. */
  bbox: BBox;
}

/**
 * Reorients every volume of a case to RAS and crops all of them to the box of voxels that are
 * non-zero in any image channel (the whole grid when every voxel is zero).
 */
export function reorientAndCrop(images: readonly Volume[], label: Volume | null): CroppedCase {
  const ras = images.map((v) => reorient(v, "RAS").volume);
  const lab = label === null ? null : reorient(label, "RAS").volume;
  const first = ras[0]!;
  let lo = [Infinity, Infinity, Infinity];
  let hi = [-Infinity, -Infinity, -Infinity];
  for (const v of ras) {
    const b = nonzeroBBox(v);
    if (!b) continue;
    lo = lo.map((x, a) => Math.min(x, b.start[a]!));
    hi = hi.map((x, a) => Math.max(x, b.end[a]!));
  }
  const bbox: BBox = Number.isFinite(lo[0]) ? { start: [lo[0]!, lo[1]!, lo[2]!], end: [hi[0]!, hi[1]!, hi[2]!] } : { start: [0, 0, 0], end: [...first.shape] };
  return { images: ras.map((v) => crop(v, bbox)), label: lab === null ? null : crop(lab, bbox), shape: first.shape, bbox };
}

/** Draws up to `n` values (with replacement when there are more) from the voxels where `keep` holds. */
function sampleValues(img: Volume, keep: (i: number) => boolean, n: number, rng: Rng): number[] {
  const idx: number[] = [];
  for (let i = 0; i < img.voxelCount; i++) if (keep(i)) idx.push(i);
  const data = img.data as ArrayLike<number>;
  if (idx.length <= n) return idx.map((i) => Number(data[i]));
  return Array.from({ length: n }, () => Number(data[idx[rng.int(idx.length)]!]));
}

interface CaseResult {
  entry: FingerprintCase;
  foreground: number[][] | null;
  nonzero: number[][];
}

async function fingerprintCase(c: DatasetCase, channels: number, n: number, seed: number): Promise<CaseResult> {
  const loaded = await readCase(c);
  const { images, label, shape } = reorientAndCrop(loaded.images, loaded.label);
  const values = new Set<number>();
  if (label) {
    const d = label.data as ArrayLike<number | bigint>;
    for (let i = 0; i < d.length; i++) values.add(Number(d[i]));
  }
  const useLabel = c.annotation === "labelled" && label !== null;
  const rng = new Rng(mixSeed(seed, c.id));
  const foreground = useLabel ? images.map((img) => sampleValues(img, (i) => Number((label.data as ArrayLike<number>)[i]) > 0, n, rng)) : null;
  // Non-zero voxels serve only when no labelled case has foreground; sampled anyway so one pass suffices.
  const nonzero = images.map((img) => sampleValues(img, (i) => Number((img.data as ArrayLike<number>)[i]) !== 0, n, rng));
  if (images.length !== channels) throw new RangeError(`Case ${c.id} has ${images.length} channels; dataset.json declares ${channels}`);
  const entry: FingerprintCase = {
    id: c.id,
    annotation: c.annotation,
    spacing: [...images[0]!.spacing] as [number, number, number],
    shape: [...shape] as [number, number, number],
    croppedShape: [...images[0]!.shape] as [number, number, number],
    labelValues: [...values].sort((a, b) => a - b),
  };
  return { entry, foreground, nonzero };
}

/** The dataset's name as used for the work folder: its folder name. */
export function datasetName(ds: Dataset): string {
  return ds.root.split(/[\\/]/).filter(Boolean).pop() ?? "dataset";
}

/**
 * Reads every training case and computes the fingerprint. Deterministic: the same dataset and
 * options give the same document, whatever the read order.
 * @example
 * const fp = await computeFingerprint(await openDataset("data/Dataset004_Hippocampus"));
 */
export async function computeFingerprint(ds: Dataset, opts: FingerprintOptions = {}): Promise<Fingerprint> {
  const n = opts.samplesPerCase ?? 10000;
  const seed = opts.seed ?? 1234;
  let done = 0;
  const results = await mapPool(ds.training, opts.concurrency ?? 2, async (c) => {
    const r = await fingerprintCase(c, ds.channels.length, n, seed);
    opts.onProgress?.(++done, ds.training.length, c.id);
    return r;
  });
  const anyForeground = results.some((r) => r.foreground !== null && r.foreground.some((v) => v.length > 0));
  const intensity: ChannelIntensity[] = ds.channels.map((name, ch) => {
    const pooled: number[] = [];
    for (const r of results) {
      const src = anyForeground ? r.foreground : r.nonzero;
      if (src) for (const v of src[ch]!) pooled.push(v);
    }
    const s = intensityStats(pooled);
    const finite = (x: number) => (Number.isFinite(x) ? x : 0);
    return {
      channel: ch,
      name,
      mean: finite(s.mean),
      std: finite(s.std),
      min: finite(s.min),
      max: finite(s.max),
      median: finite(s.median),
      percentile00_5: finite(s.percentile00_5),
      percentile99_5: finite(s.percentile99_5),
      count: s.count,
      source: anyForeground ? "foreground" : "nonzero",
    };
  });
  const fp: Fingerprint = {
    format: "labelwise-fingerprint",
    version: FINGERPRINT_VERSION,
    dataset: datasetName(ds),
    orientation: "RAS",
    channels: [...ds.channels],
    samplesPerCase: n,
    seed,
    cases: results.map((r) => r.entry),
    intensity,
  };
  return parseWith(FingerprintSchema, fp, "fingerprint");
}

/** Writes fingerprint.json atomically. */
export async function saveFingerprint(path: string, fp: Fingerprint): Promise<void> {
  await writeJsonAtomic(path, parseWith(FingerprintSchema, fp, path));
}

/**
 * Reads and validates fingerprint.json.
 * @throws ConfigError when it does not match the schema.
 */
export async function loadFingerprint(path: string): Promise<Fingerprint> {
  return parseWith(FingerprintSchema, parseJsonText(await readFile(path, "utf8"), path), path);
}
