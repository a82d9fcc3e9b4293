import assert from "node:assert/strict";
import { test } from "node:test";
import type { DatasetJson } from "../dataset/index.js";
import { ConfigError } from "../errors.js";
import type { Fingerprint } from "../fingerprint/index.js";
import { canonicalJson, planExperiment, planTopology, resolvePlanConfiguration, preprocessingHash, targetSpacing, topologyDivisor, type Plans } from "./index.js";

function fingerprint(over: Partial<Fingerprint> = {}, cases = 6, spacing: [number, number, number] = [0.8, 0.8, 1.0], shape: [number, number, number] = [120, 110, 90]): Fingerprint {
  return {
    format: "labelwise-fingerprint",
    version: 1,
    dataset: "demo",
    orientation: "RAS",
    channels: ["MRI"],
    samplesPerCase: 100,
    seed: 1,
    cases: Array.from({ length: cases }, (_, i) => ({
      id: `c${i}`,
      annotation: "labelled" as const,
      spacing: [spacing[0], spacing[1], spacing[2] + 0.1 * (i % 3)] as [number, number, number],
      shape: [shape[0] + i, shape[1], shape[2]] as [number, number, number],
      croppedShape: [shape[0] + i, shape[1] - i, shape[2]] as [number, number, number],
      labelValues: [0, 1, 2],
    })),
    intensity: [{ channel: 0, name: "MRI", mean: 100, std: 20, min: 0, max: 300, median: 98, percentile00_5: 10, percentile99_5: 250, count: 600, source: "foreground" }],
    ...over,
  };
}
const json = { channel_names: { "0": "MRI" }, labels: { background: 0, a: 1, b: 2 }, numTraining: 6, file_ending: ".nii.gz" } as unknown as DatasetJson;

test("planExperiment() is deterministic: same fingerprint, same plans; case order does not matter", () => {
  const fp = fingerprint();
  const a = planExperiment(fp, json);
  const b = planExperiment(structuredClone(fp), json);
  assert.equal(canonicalJson(a), canonicalJson(b));
  const shuffled = { ...fp, cases: [...fp.cases].reverse() };
  const c = planExperiment(shuffled, json);
  assert.deepEqual(c.configurations, a.configurations);
});

test("planExperiment(): median target spacing, patch divisible by the topology, within the memory budget", () => {
  const plans = planExperiment(fingerprint(), json, { memoryBudgetMiB: 256 });
  const cfg = resolvePlanConfiguration(plans, "3d_fullres");
  assert.deepEqual(cfg.spacing, [0.8, 0.8, 1.1]);
  const div = topologyDivisor(cfg.network);
  cfg.patchSize.forEach((p, a) => assert.equal(p % div[a]!, 0, `axis ${a}: ${p} % ${div[a]}`));
  assert.ok(cfg.estimatedMemoryMiB <= 256, String(cfg.estimatedMemoryMiB));
  const bigger = resolvePlanConfiguration(planExperiment(fingerprint(), json, { memoryBudgetMiB: 4096 }), "3d_fullres");
  const vox = (p: readonly number[]) => p[0]! * p[1]! * p[2]!;
  assert.ok(vox(bigger.patchSize) > vox(cfg.patchSize), "a larger budget gives a larger patch");
  assert.equal(plans.numClasses, 3);
  assert.deepEqual(cfg.normalization, [{ scheme: "zscore", channel: 0, name: "MRI", useNonzeroMask: false }]);
});

test("planExperiment(): CT channels get clip + z-score with the fingerprint's foreground statistics", () => {
  const fp = fingerprint({ channels: ["CT"], intensity: [{ ...fingerprint().intensity[0]!, name: "CT" }] });
  const cfg = resolvePlanConfiguration(planExperiment(fp, { ...json, channel_names: { "0": "CT" } } as DatasetJson), "3d_fullres");
  assert.deepEqual(cfg.normalization[0], { scheme: "ct", channel: 0, name: "CT", clip: [10, 250], mean: 100, std: 20 });
});

test("targetSpacing(): anisotropic data takes the 10th percentile along the coarse axis", () => {
  const spacings = [[0.7, 0.7, 5], [0.7, 0.7, 5], [0.7, 0.7, 2.5], [0.7, 0.7, 5], [0.7, 0.7, 3]];
  const shapes = spacings.map(() => [512, 512, 30]);
  const t = targetSpacing(spacings, shapes);
  assert.ok(t[2] < 5 && t[2] >= 2.5, String(t));
  assert.deepEqual(targetSpacing([[1, 1, 1]], [[50, 50, 50]]), [1, 1, 1]);
});

test("planTopology(): anisotropic spacing pools in-plane first and uses 1-voxel kernels across thick slices", () => {
  const t = planTopology([160, 160, 20], [0.8, 0.8, 3]);
  assert.deepEqual(t.strides[1], [2, 2, 1]);
  assert.deepEqual(t.kernelSizes[0], [3, 3, 1]);
  const iso = planTopology([64, 64, 64], [1, 1, 1]);
  assert.deepEqual(iso.strides.slice(1), [[2, 2, 2], [2, 2, 2], [2, 2, 2], [2, 2, 2]]); // 64 -> 4 at the bottleneck
});

test("plan configurations: extends merges fields, cycles and unknown names are ConfigErrors", () => {
  const plans = planExperiment(fingerprint(), json);
  const withChild: Plans = { ...plans, configurations: { ...plans.configurations, small: { extends: "3d_fullres", patchSize: [32, 32, 32], batchSize: 4 } } };
  const small = resolvePlanConfiguration(withChild, "small");
  assert.deepEqual(small.patchSize, [32, 32, 32]);
  assert.equal(small.batchSize, 4);
  assert.deepEqual(small.spacing, resolvePlanConfiguration(plans, "3d_fullres").spacing);
  assert.equal(preprocessingHash(withChild, small), preprocessingHash(plans, resolvePlanConfiguration(plans, "3d_fullres")), "patch size does not change preprocessing");
  const cyclic: Plans = { ...plans, configurations: { a: { extends: "b" }, b: { extends: "a" } } };
  assert.throws(() => resolvePlanConfiguration(cyclic, "a"), (e: unknown) => e instanceof ConfigError && /cycle: a -> b -> a/.test(e.message));
  assert.throws(() => resolvePlanConfiguration(plans, "nope"), ConfigError);
  const incomplete: Plans = { ...plans, configurations: { x: { patchSize: [8, 8, 8] } } };
  assert.throws(() => resolvePlanConfiguration(incomplete, "x"), (e: unknown) => e instanceof ConfigError && e.issues.length > 3);
});

test("planExperiment() refuses region labels and non-consecutive label values", () => {
  assert.throws(() => planExperiment(fingerprint(), { ...json, labels: { background: 0, a: [1, 2], b: 2 } } as unknown as DatasetJson), /region/);
  assert.throws(() => planExperiment(fingerprint(), { ...json, labels: { background: 0, a: 2 } } as unknown as DatasetJson), /0, 1/);
});
