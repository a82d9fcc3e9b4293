// The deterministic planner: fingerprint + dataset.json -> plans.json. Same inputs, same plans, byte
// for byte (no clocks, no randomness, no dependence on file order), so a plan can be recreated and
// its hash used as a cache key.
import type { DatasetJson } from "../dataset/index.js";
import { IGNORE_LABEL } from "../dataset/index.js";
import type { Fingerprint } from "../fingerprint/index.js";
import { canonicalHash } from "./canonical.js";
import { estimateTrainingBytes } from "./memory.js";
import { type ChannelNormalization, DEFAULT_CONFIGURATION, type PlanConfiguration, type Plans, PLANS_VERSION, PlansSchema } from "./schema.js";
import { median, targetSpacing } from "./target-spacing.js";
import { planTopology, topologyDivisor } from "./topology.js";

export const PLANNER_NAME = "default";
export const PLANNER_VERSION = 1;

/** Options of {@link planExperiment}; all have CPU-friendly defaults. */
export interface PlannerOptions {
  /** Training memory the patch may use (the planner's estimate, see memory.ts). @default 2048 */
  memoryBudgetMiB?: number;
  /** @default 2 (nnU-Net's minimum) */
  batchSize?: number;
  /** Channels of the first level. @default 32 */
  baseFilters?: number;
  /** Channel cap. @default 320 */
  maxFilters?: number;
  /** @default 6 */
  maxLevels?: number;
  /** Smallest bottleneck edge. @default 4 */
  minFeatureMap?: number;
  /** Also cap the patch at this many voxels (CPU time grows with it). @default none */
  maxPatchVoxels?: number | null;
  /** Name of the configuration written. @default "3d_fullres" */
  configuration?: string;
}

type Int3 = [number, number, number];

function normalizationFor(fp: Fingerprint): ChannelNormalization[] {
  return fp.channels.map((name, channel) => {
    if (name.trim().toUpperCase() === "CT") {
      const s = fp.intensity[channel]!;
      return { scheme: "ct", channel, name, clip: [s.percentile00_5, s.percentile99_5], mean: s.mean, std: s.std };
    }
    // Mask the z-score when cropping removed much of the scan: its zero background is padding or
    // skull-stripping, not tissue, and would distort the statistics (nnU-Net's use_mask_for_norm).
    const ratios = fp.cases.map((c) => (c.croppedShape[0] * c.croppedShape[1] * c.croppedShape[2]) / (c.shape[0] * c.shape[1] * c.shape[2]));
    return { scheme: "zscore", channel, name, useNonzeroMask: median(ratios) < 0.75 };
  });
}

function labelsOf(json: DatasetJson): { labels: Record<string, number>; ignore: number | null } {
  const labels: Record<string, number> = {};
  let ignore: number | null = null;
  for (const [name, v] of Object.entries(json.labels)) {
    if (Array.isArray(v) && v.length !== 1) {
      throw new RangeError(`Cannot plan: label "${name}" is a region (${JSON.stringify(v)}); region-based training is not supported yet`);
    }
    const value = Array.isArray(v) ? v[0]! : v;
    if (name === IGNORE_LABEL) ignore = value;
    else labels[name] = value;
  }
  return { labels, ignore };
}

/** Rounds each edge up to a multiple of the divisor. */
function roundUp(patch: readonly number[], div: readonly number[]): Int3 {
  return patch.map((n, a) => Math.max(div[a]!, Math.ceil(n / div[a]!) * div[a]!)) as Int3;
}

/**
 * Plans the 3-D configuration: target spacing, patch size within the memory budget, topology and
 * normalisation.
 * @throws RangeError for datasets the planner cannot handle (regions, no cases)
 * @example
 * const plans = planExperiment(fingerprint, dataset.json, { memoryBudgetMiB: 1024 });
 */
export function planExperiment(fp: Fingerprint, json: DatasetJson, opts: PlannerOptions = {}): Plans {
  const o = {
    memoryBudgetMiB: opts.memoryBudgetMiB ?? 2048,
    batchSize: opts.batchSize ?? 2,
    baseFilters: opts.baseFilters ?? 32,
    maxFilters: opts.maxFilters ?? 320,
    maxLevels: opts.maxLevels ?? 6,
    minFeatureMap: opts.minFeatureMap ?? 4,
    maxPatchVoxels: opts.maxPatchVoxels ?? null,
    configuration: opts.configuration ?? DEFAULT_CONFIGURATION,
  };
  const { labels, ignore } = labelsOf(json);
  const numClasses = Object.keys(labels).length;
  const values = Object.values(labels).sort((a, b) => a - b);
  if (values.some((v, i) => v !== i)) {
    throw new RangeError(`Cannot plan: label values must be 0, 1, ..., ${numClasses - 1} (besides "ignore"). Received: ${values.join(", ")}`);
  }
  const spacing = targetSpacing(
    fp.cases.map((c) => c.spacing),
    fp.cases.map((c) => c.croppedShape),
  );
  const medianShape = [0, 1, 2].map((a) => Math.max(1, Math.round(median(fp.cases.map((c) => (c.croppedShape[a]! * c.spacing[a]!) / spacing[a]!))))) as Int3;
  const topoOpts = { maxLevels: o.maxLevels, minFeatureMap: o.minFeatureMap };
  const model = { batchSize: o.batchSize, inChannels: fp.channels.length, numClasses, baseFilters: o.baseFilters, maxFilters: o.maxFilters };
  const budget = o.memoryBudgetMiB * 1024 * 1024;
  const fits = (p: Int3, bytes: number) => bytes <= budget && (o.maxPatchVoxels === null || p[0] * p[1] * p[2] <= o.maxPatchVoxels);

  // Start from the median case (rounded up to what the topology needs), then shrink the axis that
  // exceeds the median shape the most, one divisor step at a time, until the estimate fits.
  let patch = roundUp(medianShape, topologyDivisor(planTopology(medianShape, spacing, topoOpts)));
  let topo = planTopology(patch, spacing, topoOpts);
  for (let guard = 0; guard < 10_000; guard++) {
    topo = planTopology(patch, spacing, topoOpts);
    const div = topologyDivisor(topo);
    patch = roundUp(patch, div);
    if (fits(patch, estimateTrainingBytes(patch, topo, model))) break;
    const shrinkable = [0, 1, 2].filter((a) => patch[a]! > div[a]!);
    // A smaller patch gets fewer levels and so a smaller divisor: shrinking only stops at the
    // smallest patch the topology allows, which is then accepted as is.
    if (shrinkable.length === 0) break;
    const axis = shrinkable.reduce((best, a) => (patch[a]! / medianShape[a]! > patch[best]! / medianShape[best]! ? a : best));
    patch[axis] = patch[axis]! - div[axis]!;
  }
  topo = planTopology(patch, spacing, topoOpts);
  const config: PlanConfiguration = {
    axes: "xyz",
    orientation: "RAS",
    spacing,
    medianShape,
    patchSize: patch,
    batchSize: o.batchSize,
    cropToNonzero: true,
    resampling: { image: "linear", label: "nearest" },
    normalization: normalizationFor(fp),
    network: { levels: topo.levels, strides: topo.strides, kernelSizes: topo.kernelSizes, baseFilters: o.baseFilters, maxFilters: o.maxFilters },
    estimatedMemoryMiB: Math.round((estimateTrainingBytes(patch, topo, model) / (1024 * 1024)) * 10) / 10,
  };
  const plans: Plans = {
    format: "labelwise-plans",
    version: PLANS_VERSION,
    dataset: fp.dataset,
    planner: { name: PLANNER_NAME, version: PLANNER_VERSION, options: { ...o } },
    fingerprintSha256: canonicalHash(fp),
    channels: [...fp.channels],
    labels,
    ignoreLabel: ignore,
    numClasses,
    configurations: { [o.configuration]: config },
  };
  return PlansSchema.parse(plans);
}
