// fingerprint.json: what the planner needs to know about a dataset, gathered once. Every per-axis
// value is in RAS voxel-axis order (x, y, z) after reorientation, so cases stored in different
// orientations are comparable.
import { z } from "zod";

/** The fingerprint format version this code reads and writes. */
export const FINGERPRINT_VERSION = 1;
/** The file name, in the dataset's work folder (runs/<dataset>/). */
export const FINGERPRINT_JSON = "fingerprint.json";

const Vec3 = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
const Shape3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);

/** One case as the fingerprint saw it. */
export const FingerprintCaseSchema = z.strictObject({
  id: z.string().min(1),
  annotation: z.enum(["labelled", "unlabelled", "boxes"]),
  /** Voxel spacing in mm after reorientation to RAS. */
  spacing: Vec3,
  /** Shape after reorientation, before cropping. */
  shape: Shape3,
  /** Shape after cropping to the non-zero region of the images. */
  croppedShape: Shape3,
  /** Label values present in the label map ([] without one). */
  labelValues: z.array(z.number().int().nonnegative()),
});

/** Intensity statistics of one channel over the sampled foreground voxels of all labelled cases. */
export const ChannelIntensitySchema = z.strictObject({
  channel: z.number().int().nonnegative(),
  name: z.string(),
  mean: z.number(),
  std: z.number().nonnegative(),
  min: z.number(),
  max: z.number(),
  median: z.number(),
  percentile00_5: z.number(),
  percentile99_5: z.number(),
  /** Sampled voxels the statistics come from. */
  count: z.number().int().nonnegative(),
  /** "foreground": label > 0 of labelled cases; "nonzero": no labelled foreground existed, non-zero image voxels were used. */
  source: z.enum(["foreground", "nonzero"]),
});

/** zod schema of fingerprint.json (version 1). */
export const FingerprintSchema = z.strictObject({
  format: z.literal("labelwise-fingerprint"),
  version: z.literal(FINGERPRINT_VERSION),
  dataset: z.string().min(1),
  orientation: z.literal("RAS"),
  channels: z.array(z.string()).min(1),
  /** Foreground voxels sampled per case and channel. */
  samplesPerCase: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  cases: z.array(FingerprintCaseSchema).min(1),
  intensity: z.array(ChannelIntensitySchema),
});

export type Fingerprint = z.infer<typeof FingerprintSchema>;
export type FingerprintCase = z.infer<typeof FingerprintCaseSchema>;
export type ChannelIntensity = z.infer<typeof ChannelIntensitySchema>;
