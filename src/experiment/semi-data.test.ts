// Semi-supervised data through a real run: an explicit list of labelled cases in the config, and
// unlabelled scans that have no label file at all (nnU-Net layout, marked in labelwise.json).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { createManifest, loadSplits, writeManifest, writePhantomDataset } from "../data/index.js";
import { setNumThreads } from "../tensor/index.js";
import { loadCheckpoint } from "../training/index.js";
import { parseExperimentConfig, planDataset, splitsName, trainExperiment } from "./index.js";

setNumThreads(1);

test("split.labelled.cases: validated, and the generated splits file is named by the list's content (order-free)", () => {
  const a = parseExperimentConfig({ split: { folds: 1, labelled: { cases: ["b", "a"] } } }).split;
  const b = parseExperimentConfig({ split: { folds: 1, labelled: { cases: ["a", "b"] } } }).split;
  const c = parseExperimentConfig({ split: { folds: 1, labelled: { cases: ["a", "c"] } } }).split;
  assert.match(splitsName(a), /^folds1_seed12345_list2-[0-9a-f]{8}_random$/);
  assert.equal(splitsName(a), splitsName(b));
  assert.notEqual(splitsName(a), splitsName(c));
  assert.throws(() => parseExperimentConfig({ split: { labelled: { cases: [] } } }), /split\.labelled/);
  assert.throws(() => parseExperimentConfig({ split: { labelled: { cases: ["a"], count: 1 } } }), /split\.labelled/);
});

test("the semi-supervised strategies are registered: their kinds parse with defaults", () => {
  for (const kind of ["mean-teacher", "cross-pseudo", "bcp"] as const) assert.equal(parseExperimentConfig({ strategy: { kind } }).strategy.kind, kind);
  assert.throws(() => parseExperimentConfig({ strategy: { kind: "bcp", maskRatio: 0 } }), /strategy\.maskRatio/);
});

test("a mean-teacher run on a dataset whose unlabelled scans have no label file, with the labelled cases listed in the config", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "labelwise-semi-data-"));
  try {
    const ds = path.join(work, "Dataset901_Semi");
    const out = path.join(work, "runs");
    await writePhantomDataset(ds, { cases: 6, shape: [24, 24, 16], classes: 2, seed: 5, boxes: false });
    for (const id of ["phantom_004", "phantom_005"]) await unlink(path.join(ds, "labelsTr", `${id}.nii.gz`));
    await writeManifest(ds, createManifest({ phantom_004: "unlabelled", phantom_005: "unlabelled" }));
    await planDataset(ds, { out, baseFilters: 4, maxLevels: 2, maxPatchVoxels: 2048 });
    const listed = ["phantom_000", "phantom_002"];
    const config = parseExperimentConfig({
      seed: 3,
      strategy: { kind: "mean-teacher", consistency: { rampupIterations: 0 } },
      split: { folds: 2, labelled: { cases: listed } },
      training: { epochs: 1, iterationsPerEpoch: 2, threads: 1, validationCases: 1 },
      data: { workers: 0 },
    });
    const r = await trainExperiment({ dataset: ds, config, out });
    assert.equal(r.status, "completed");

    const record = JSON.parse(await readFile(path.join(r.runDir, "config.json"), "utf8")) as { splitsFile: string };
    const splits = await loadSplits(record.splitsFile);
    assert.deepEqual(splits.labelled, { cases: listed });
    const fold = splits.splits[0]!;
    assert.deepEqual(fold.train.labelled, listed.filter((id) => !fold.val.includes(id)), "exactly the listed cases of the training part stay labelled");
    assert.ok(fold.train.labelled.length > 0, `the fold keeps a labelled case (val: ${fold.val.join(", ")})`);
    for (const id of ["phantom_004", "phantom_005"]) {
      assert.ok(fold.train.unlabelled.includes(id), `${id} (no label file) trains as unlabelled`);
      assert.ok(!fold.val.includes(id), `${id} has no label, so it never validates`);
    }
    const ckpt = (await loadCheckpoint(r.runDir, "final"))!;
    try {
      assert.equal(ckpt.strategy.name, "mean-teacher");
      const keys = [...ckpt.tensors.keys()];
      assert.ok(keys.some((k) => k.startsWith("module/student/")) && keys.some((k) => k.startsWith("module/teacher/")), "student and teacher are checkpointed");
      assert.deepEqual(ckpt.strategy.predictWith, ["student"]);
    } finally {
      ckpt.dispose();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
