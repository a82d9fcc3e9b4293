// plans.json: the deterministic planner's decisions for a dataset (nnU-Net's data flow:
// dataset.json -> fingerprint.json -> plans.json -> runs). Every per-axis value is in RAS voxel-axis
// order (x, y, z) — the order of Volume.shape — marked by `axes: "xyz"`; code that builds tensors
// (C, D, H, W) = (c, z, y, x) reverses them in one place (see src/experiment).
import { z } from "zod";

/** The plans format version this code reads and writes. */
export const PLANS_VERSION = 1;
/** The file name, in the dataset's work folder (runs/<dataset>/). */
export const PLANS_JSON = "plans.json";
/** The configuration the planner writes. */
export const DEFAULT_CONFIGURATION = "3d_fullres";

const Vec3 = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);
const Int3 = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);

/** How one channel is normalised (nnU-Net's scheme names; "ct" uses dataset-wide foreground statistics). */
export const ChannelNormalizationSchema = z.discriminatedUnion("scheme", [
  z.strictObject({
    scheme: z.literal("ct"),
    channel: z.number().int().nonnegative(),
    name: z.string(),
    /** Clip range: the 0.5 and 99.5 percentiles of foreground intensities. */
    clip: z.tuple([z.number(), z.number()]),
    mean: z.number(),
    std: z.number().nonnegative(),
  }),
  z.strictObject({
    scheme: z.literal("zscore"),
    channel: z.number().int().nonnegative(),
    name: z.string(),
    /** Statistics (and output) only inside the non-zero region: for skull-stripped or cropped scans whose zero background is not tissue. */
    useNonzeroMask: z.boolean(),
  }),
  z.strictObject({ scheme: z.literal("none"), channel: z.number().int().nonnegative(), name: z.string() }),
]);
export type ChannelNormalization = z.infer<typeof ChannelNormalizationSchema>;

/** Network topology hints: per level stride into it and convolution kernel (x, y, z). */
export const NetworkTopologySchema = z.strictObject({
  levels: z.number().int().min(1),
  /** strides[0] is [1, 1, 1]; strides[l] takes level l-1 to level l. */
  strides: z.array(Int3).min(1),
  kernelSizes: z.array(Int3).min(1),
  baseFilters: z.number().int().positive(),
  maxFilters: z.number().int().positive(),
});
export type NetworkTopology = z.infer<typeof NetworkTopologySchema>;

const configurationShape = {
  axes: z.literal("xyz"),
  orientation: z.literal("RAS"),
  /** Target voxel spacing in mm. */
  spacing: Vec3,
  /** Median case shape at the target spacing, after cropping. */
  medianShape: Int3,
  patchSize: Int3,
  batchSize: z.number().int().positive(),
  cropToNonzero: z.boolean(),
  resampling: z.strictObject({ image: z.enum(["linear", "nearest"]), label: z.enum(["nearest", "label-linear"]) }),
  normalization: z.array(ChannelNormalizationSchema).min(1),
  network: NetworkTopologySchema,
  /** The planner's estimate of training memory (activations and gradients) for this patch and batch size. */
  estimatedMemoryMiB: z.number().nonnegative(),
};

/** A complete (resolved) configuration. */
export const PlanConfigurationSchema = z.strictObject(configurationShape);
export type PlanConfiguration = z.infer<typeof PlanConfigurationSchema>;

/** A configuration as stored: complete, or `extends` another and overrides some fields. */
export const StoredPlanConfigurationSchema = z.strictObject({ extends: z.string().min(1).optional(), ...configurationShape }).partial();
export type StoredPlanConfiguration = z.infer<typeof StoredPlanConfigurationSchema>;

/** zod schema of plans.json (version 1). */
export const PlansSchema = z.strictObject({
  format: z.literal("labelwise-plans"),
  version: z.literal(PLANS_VERSION),
  dataset: z.string().min(1),
  planner: z.strictObject({
    name: z.string(),
    version: z.number().int().positive(),
    options: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  }),
  /** sha256 of the canonical fingerprint the plans were made from. */
  fingerprintSha256: z.string().regex(/^[0-9a-f]{64}$/),
  channels: z.array(z.string()).min(1),
  /** Label name -> value, background 0, consecutive (the ignore label, if any, is not here). */
  labels: z.record(z.string(), z.number().int().nonnegative()),
  /** Value of dataset.json's "ignore" label, or null. */
  ignoreLabel: z.number().int().nonnegative().nullable(),
  /** Classes the network predicts, background included. */
  numClasses: z.number().int().min(2),
  configurations: z.record(z.string().min(1), StoredPlanConfigurationSchema),
});
export type Plans = z.infer<typeof PlansSchema>;
