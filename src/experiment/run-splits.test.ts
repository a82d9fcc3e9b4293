// Generated splits follow the dataset: re-annotating a case (labelwise.json) makes new lists
// instead of silently reusing the old file, while a resumed run keeps the file it started with.
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { createManifest, openDataset, writeManifest, writePhantomDataset } from "../data/index.js";
import { foldForRun, parseExperimentConfig, workspace } from "./index.js";

test("foldForRun(): a re-annotated dataset gets new splits; a recorded splits file is kept", async () => {
  const work = await mkdtemp(path.join(tmpdir(), "labelwise-run-splits-"));
  try {
    const root = path.join(work, "Dataset902_Splits");
    await writePhantomDataset(root, { cases: 6, shape: [12, 12, 8], classes: 2, seed: 3, boxes: false });
    const ws = workspace(path.join(work, "runs"), "Dataset902_Splits");
    const split = parseExperimentConfig({ split: { folds: 2 } }).split;

    const before = await foldForRun(await openDataset(root), ws, split);
    assert.equal(before.fold.train.unlabelled.length, 0);
    const again = await foldForRun(await openDataset(root), ws, split);
    assert.equal(again.file, before.file, "an unchanged dataset reuses its splits file");

    const marked = before.fold.train.labelled[0]!;
    await writeManifest(root, createManifest({ [marked]: "unlabelled" }));
    const after = await foldForRun(await openDataset(root), ws, split);
    assert.notEqual(after.file, before.file);
    assert.ok(after.fold.train.unlabelled.includes(marked) || after.fold.val.includes(marked), `${marked} is no longer a labelled training case`);
    assert.ok(!after.fold.train.labelled.includes(marked));
    assert.equal((await readdir(path.dirname(before.file))).length, 2, "the old file stays for the runs made from it");

    const resumed = await foldForRun(await openDataset(root), ws, split, before.file);
    assert.equal(resumed.file, before.file);
    assert.deepEqual(resumed.fold, before.fold);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
