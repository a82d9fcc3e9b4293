import assert from "node:assert/strict";
import { rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { allAugmentations, cacheOf, samplerConfig, sphereCase } from "../_testing/pipeline-fixtures.js";
import { noAugmentation } from "../augment/index.js";
import { createManifest, makeSplits, openDataset, splitCases, writeManifest } from "../dataset/index.js";
import { computeFingerprint } from "../fingerprint/index.js";
import { writePhantomDataset } from "../phantom/index.js";
import { planExperiment, resolvePlanConfiguration } from "../plan/index.js";
import { preprocessDataset } from "../preprocess/index.js";
import { BatchBuildError, BatchLoader, WorkerDiedError } from "./index.js";

let dir: string;
const cfg = samplerConfig({ augmentation: allAugmentations(), composition: { labelled: 2, unlabelled: 1, boxes: 0 } });

before(async () => {
  dir = await cacheOf([sphereCase("a", { shape: [24, 20, 16], image: "textured" }), sphereCase("b", { shape: [18, 22, 12], centre: [5, 6, 4], image: "textured" })]);
});
after(async () => rm(dir, { recursive: true, force: true }));

async function take(loader: BatchLoader, n: number) {
  const out = [];
  try {
    for (let i = 0; i < n; i++) out.push(await loader.next());
  } finally {
    await loader.close();
  }
  return out;
}

test("BatchLoader: worker threads deliver exactly the batches the main thread would build, in order", async () => {
  const inline = await take(new BatchLoader({ sampler: cfg, cacheDir: dir, workers: 0 }), 8);
  const threaded = await take(new BatchLoader({ sampler: cfg, cacheDir: dir, workers: 2, prefetch: 3 }), 8);
  assert.deepEqual(threaded.map((b) => b.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(threaded, inline);
  const resumed = await take(new BatchLoader({ sampler: cfg, cacheDir: dir, workers: 2, startIndex: 5 }), 3);
  assert.deepEqual(resumed, inline.slice(5));
});

test("BatchLoader: a worker that exits rejects next() with a WorkerDiedError naming the batch (no hang)", async () => {
  const loader = new BatchLoader({ sampler: cfg, cacheDir: dir, workers: 2, prefetch: 2, faults: { exitOnBatch: 2 } });
  try {
    await loader.next();
    await loader.next();
    await assert.rejects(loader.next(), (e: unknown) => e instanceof WorkerDiedError && e.batchIndex === 2 && e.exitCode === 3 && /fewer workers/.test(e.message));
    await assert.rejects(loader.next(), WorkerDiedError, "the loader stays failed");
  } finally {
    await loader.close();
  }
});

test("BatchLoader: an uncaught exception in a worker surfaces as a WorkerDiedError with its message", async () => {
  const loader = new BatchLoader({ sampler: cfg, cacheDir: dir, workers: 1, faults: { crashOnBatch: 0 } });
  try {
    await assert.rejects(loader.next(), (e: unknown) => e instanceof WorkerDiedError && /injected crash/.test(e.message));
  } finally {
    await loader.close();
  }
});

test("BatchLoader: a batch that cannot be built (missing case) is a BatchBuildError, in threads and inline", async () => {
  const bad = samplerConfig({ ids: ["missing"] });
  for (const workers of [0, 1]) {
    const loader = new BatchLoader({ sampler: bad, cacheDir: dir, workers });
    try {
      await assert.rejects(loader.next(), (e: unknown) => e instanceof BatchBuildError && /missing/.test(e.message));
    } finally {
      await loader.close();
    }
  }
});

test("BatchLoader: close() is idempotent and next() afterwards is refused", async () => {
  const loader = new BatchLoader({ sampler: cfg, cacheDir: dir, workers: 1 });
  await loader.next();
  assert.equal(loader.position, 1);
  await loader.close();
  await loader.close();
  await assert.rejects(loader.next(), /after close/);
});

test("mixed supervision end to end: labelled, unlabelled (no label file) and box cases through preprocessing and worker threads", async () => {
  const root = path.join(tmpdir(), `labelwise-mixed-${process.pid}`);
  try {
    const dir = path.join(root, "ds");
    await writePhantomDataset(dir, { cases: 5, shape: [24, 24, 16], classes: 2, seed: 9 });
    await writeManifest(dir, createManifest({ phantom_001: "unlabelled", phantom_002: "boxes", phantom_003: "boxes" }));
    await unlink(path.join(dir, "labelsTr", "phantom_001.nii.gz"));
    const ds = await openDataset(dir);
    const plans = planExperiment(await computeFingerprint(ds), ds.json, { baseFilters: 4, maxPatchVoxels: 4096 });
    const plan = resolvePlanConfiguration(plans, "3d_fullres");
    const fold = makeSplits(splitCases(ds), { folds: 1, seed: 1 }).splits[0]!;
    assert.deepEqual(fold.train, { labelled: ["phantom_000", "phantom_004"], unlabelled: ["phantom_001"], boxes: ["phantom_002", "phantom_003"] });
    const cache = path.join(root, "cache");
    await preprocessDataset(ds, plans, plan, cache, { fsync: false });
    const sampler = { ...samplerConfig(), patchSize: plan.patchSize, spacing: plan.spacing, composition: { labelled: 2, unlabelled: 1, boxes: 2 }, cases: fold.train, foregroundOversampling: 1, augmentation: noAugmentation() };
    const loader = new BatchLoader({ sampler, cacheDir: cache, workers: 2 });
    try {
      const b = await loader.next();
      const P = plan.patchSize[0] * plan.patchSize[1] * plan.patchSize[2];
      assert.deepEqual(b.streams.unlabelled!.caseIds, ["phantom_001"]);
      assert.equal(b.streams.unlabelled!.label, null);
      assert.equal(b.streams.labelled!.label!.length, 2 * P);
      assert.ok(b.streams.labelled!.caseIds.every((id) => fold.train.labelled.includes(id)));
      assert.equal(b.streams.boxes!.boxMask!.length, 2 * 2 * P);
      assert.equal(b.streams.boxes!.label, null, "box cases never expose a label map");
      assert.ok(b.streams.boxes!.boxes!.every((boxes) => boxes.length >= 1), "forced box samples contain a box");
    } finally {
      await loader.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
