// The contrastive semi-supervised strategies through a real run: `fba` with three decoders (its
// heads are sized from the plan's patch through StrategyEnv.patchSize) and `dual-contrast`; their
// final checkpoints load for inference with the networks they predict with and segment a scan.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { writePhantomDataset } from "../data/index.js";
import { loadInferenceModel, predictVolume } from "../inference/index.js";
import { readNifti } from "../io/index.js";
import { setNumThreads } from "../tensor/index.js";
import { loadCheckpoint } from "../training/index.js";
import { parseExperimentConfig, planDataset, trainExperiment } from "./index.js";

setNumThreads(1);

test("fba (3 decoders) and dual-contrast train through trainExperiment and their checkpoints predict", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "labelwise-contrastive-"));
  try {
    const ds = path.join(work, "Dataset902_Contrastive");
    const out = path.join(work, "runs");
    await writePhantomDataset(ds, { cases: 6, shape: [24, 24, 16], classes: 2, seed: 9, boxes: false });
    await planDataset(ds, { out, baseFilters: 4, maxLevels: 2, maxPatchVoxels: 2048 });
    const common = {
      seed: 4,
      split: { folds: 2, labelled: { count: 2 } },
      training: { epochs: 1, iterationsPerEpoch: 2, threads: 1, validationCases: 1 },
      data: { workers: 0 },
    };
    const scan = (await readNifti(path.join(ds, "imagesTr", "phantom_000_0000.nii.gz"))).volume;
    const cases = [
      { strategy: { kind: "fba", decoders: 3, head: { embeddingDim: 8, hiddenDim: 8 } }, modules: ["network", "fbaHeads"], predictWith: ["network"] },
      { strategy: { kind: "dual-contrast" }, modules: ["networkA", "networkB"], predictWith: ["networkA", "networkB"] },
    ];
    for (const c of cases) {
      const r = await trainExperiment({ dataset: ds, config: parseExperimentConfig({ ...common, strategy: c.strategy }), out });
      assert.equal(r.status, "completed", c.strategy.kind);
      const ckpt = (await loadCheckpoint(r.runDir, "final"))!;
      try {
        assert.equal(ckpt.strategy.name, c.strategy.kind);
        const keys = [...ckpt.tensors.keys()];
        for (const m of c.modules) assert.ok(keys.some((k) => k.startsWith(`module/${m}/`)), `${c.strategy.kind}: module ${m} is not checkpointed`);
        assert.deepEqual(ckpt.strategy.predictWith, c.predictWith);
      } finally {
        ckpt.dispose();
      }
      const model = await loadInferenceModel(r.runDir);
      try {
        assert.equal(model.predictors.length, c.predictWith.length);
        const { labels } = predictVolume(scan, [model]);
        assert.deepEqual(labels.shape, scan.shape);
      } finally {
        model.dispose();
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
