// One sample: choose the patch position (centred on a foreground voxel or a box when forced, else
// uniform), then resample + spatially augment, mirror/rot90, and intensity-augment — all from the
// sample's own generator.
import { type AugmentationConfig, type PatchOrientation, applyFlips, augmentIntensity, drawFlipParams, drawSpatialParams, extractPatch, flipOrientation } from "../augment/index.js";
import type { PreprocessedCase } from "../preprocess/index.js";
import { Rng } from "../random/index.js";
import type { PatchBox } from "./types.js";

type Vec3 = [number, number, number];

/** Where one sample's arrays go inside the batch arrays. */
export interface SampleSlot {
  image: Float32Array;
  imageOffset: number;
  label: Uint8Array | Uint16Array | null;
  labelOffset: number;
  boxMask: Uint8Array | null;
  boxOffset: number;
  boxChannels: number;
}

/** Settings shared by every sample of a run. */
export interface SampleSettings {
  readonly patchSize: readonly [number, number, number];
  readonly spacing: readonly [number, number, number];
  readonly augmentation: AugmentationConfig;
}

/** A foreground voxel (labelled) or a voxel inside a box (boxes) to centre on; null when there is none. */
function foregroundPoint(pc: PreprocessedCase, useBoxes: boolean, rng: Rng): Vec3 | null {
  if (useBoxes) {
    const boxes = (pc.boxes ?? []).filter((b) => b.min.every((m, a) => m < b.max[a]!));
    if (boxes.length === 0) return null;
    const b = rng.pick(boxes);
    return [0, 1, 2].map((a) => b.min[a]! + rng.int(b.max[a]! - b.min[a]!)) as Vec3;
  }
  const classes = [...pc.classLocations.keys()].filter((v) => pc.classLocations.get(v)!.length > 0).sort((a, b) => a - b);
  if (classes.length === 0) return null;
  const locs = pc.classLocations.get(rng.pick(classes))!;
  const flat = locs[rng.int(locs.length)]!;
  const [nx, ny] = pc.shape;
  return [flat % nx, Math.floor(flat / nx) % ny, Math.floor(flat / (nx * ny))];
}

/**
 * Patch start per axis: centred on `point` when given, else uniform — and clamped so the patch
 * stays inside the case, or, for a case smaller than the patch, so the case stays inside the patch
 * (the rest is padding).
 */
function patchStart(shape: readonly number[], patch: readonly number[], point: Vec3 | null, rng: Rng): Vec3 {
  return [0, 1, 2].map((a) => {
    const n = shape[a]!, p = patch[a]!;
    const lo = Math.min(0, n - p), hi = Math.max(0, n - p);
    if (point === null) return lo + rng.int(hi - lo + 1);
    return Math.min(hi, Math.max(lo, point[a]! - Math.floor(p / 2)));
  }) as Vec3;
}

/** Boxes present in a sample's box masks: bounding boxes per channel, in (d, h, w) order. */
function boxesFromMasks(mask: Uint8Array, offset: number, channels: number, patch: readonly number[], orientation: PatchOrientation): PatchBox[] {
  const [px, py, pz] = patch as Vec3;
  const P = px * py * pz;
  const out: PatchBox[] = [];
  for (let k = 0; k < channels; k++) {
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-1, -1, -1];
    let o = offset + k * P;
    for (let z = 0; z < pz; z++)
      for (let y = 0; y < py; y++)
        for (let x = 0; x < px; x++, o++) {
          if (!mask[o]) continue;
          const p = [x, y, z];
          for (let a = 0; a < 3; a++) {
            lo[a] = Math.min(lo[a]!, p[a]!);
            hi[a] = Math.max(hi[a]!, p[a]!);
          }
        }
    if (hi[0]! < 0) continue;
    const touches = [0, 1, 2].some((a) => lo[a] === 0 || hi[a] === patch[a]! - 1);
    out.push({ value: k + 1, min: [lo[2]!, lo[1]!, lo[0]!], max: [hi[2]! + 1, hi[1]! + 1, hi[0]! + 1], touchesBorder: touches, orientation });
  }
  return out;
}

/**
 * Builds one sample into `slot` and returns its boxes (when the slot has box masks).
 * @param forceForeground centre on foreground (labels) or a box (box masks requested)
 */
export function buildSample(pc: PreprocessedCase, forceForeground: boolean, seed: number, s: SampleSettings, slot: SampleSlot): PatchBox[] | null {
  if (pc.channels * s.patchSize[0] * s.patchSize[1] * s.patchSize[2] > slot.image.length - slot.imageOffset) {
    throw new RangeError(`Case ${pc.id} has ${pc.channels} channel(s); the batch was sized for fewer`);
  }
  const rng = new Rng(seed);
  const useBoxes = slot.boxMask !== null;
  const point = forceForeground ? foregroundPoint(pc, useBoxes, rng) : null;
  const start = patchStart(pc.shape, s.patchSize, point, rng);
  const centre = start.map((v, a) => v + (s.patchSize[a]! - 1) / 2);
  const spatial = drawSpatialParams(s.augmentation, rng, s.spacing, s.patchSize);
  if (slot.label && !pc.label) throw new RangeError(`Case ${pc.id} has no label map but was sampled for the labelled stream`);
  extractPatch(pc, centre, s.patchSize, spatial, {
    image: slot.image,
    imageOffset: slot.imageOffset,
    label: slot.label,
    labelOffset: slot.labelOffset,
    boxMask: slot.boxMask,
    boxOffset: slot.boxOffset,
    boxChannels: slot.boxChannels,
  });
  const flips = drawFlipParams(s.augmentation, rng, s.spacing, s.patchSize);
  applyFlips(slot.image, slot.imageOffset, pc.channels, s.patchSize, flips);
  if (slot.label) applyFlips(slot.label, slot.labelOffset, 1, s.patchSize, flips);
  if (slot.boxMask) applyFlips(slot.boxMask, slot.boxOffset, slot.boxChannels, s.patchSize, flips);
  augmentIntensity(slot.image, slot.imageOffset, pc.channels, s.patchSize, s.augmentation, rng);
  return slot.boxMask ? boxesFromMasks(slot.boxMask, slot.boxOffset, slot.boxChannels, s.patchSize, flipOrientation(flips)) : null;
}
