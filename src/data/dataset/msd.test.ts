import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { readNifti } from "../../io/index.js";
import { checkDataset } from "../check/index.js";
import { imageVolume, makeMsdDataset, removeDir, tempDir, writeJson } from "../_testing/fixtures.js";
import { ConfigError } from "../errors.js";
import { importMsd, openDataset } from "./index.js";

test("importMsd splits 4-D images into channel files and writes an nnU-Net dataset that passes check", async () => {
  const dir = await tempDir();
  try {
    const src = path.join(dir, "Task09_Fixture");
    const dest = path.join(dir, "Dataset009_Fixture");
    const fx = await makeMsdDataset(src, { cases: 3, channels: 2, test: 1 });
    const seen: string[] = [];
    const r = await importMsd(src, dest, { fsync: false, onProgress: (_d, _t, id) => seen.push(id) });
    assert.deepEqual(r.training, ["task_001", "task_002", "task_003"]);
    assert.deepEqual(r.test, ["task_004"]);
    assert.equal(seen.length, 4);
    assert.deepEqual((await readdir(path.join(dest, "imagesTr"))).sort(), [
      "task_001_0000.nii.gz",
      "task_001_0001.nii.gz",
      "task_002_0000.nii.gz",
      "task_002_0001.nii.gz",
      "task_003_0000.nii.gz",
      "task_003_0001.nii.gz",
    ]);
    assert.deepEqual(await readdir(path.join(dest, "imagesTs")), ["task_004_0000.nii.gz", "task_004_0001.nii.gz"].sort());
    const json = JSON.parse(await readFile(path.join(dest, "dataset.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(json.channel_names, { "0": "FLAIR", "1": "T1w" });
    assert.deepEqual(json.labels, { background: 0, liver: 1, spleen: 2 });
    assert.equal(json.numTraining, 3);
    assert.equal(json.file_ending, ".nii.gz");
    assert.equal(json.licence, "CC-BY-SA 4.0");
    // Channel 1 of case 2 holds exactly what the 4-D source held there, on the same grid.
    const ch1 = (await readNifti(path.join(dest, "imagesTr/task_002_0001.nii.gz"))).volume;
    assert.deepEqual(ch1.shape, fx.shape);
    assert.deepEqual(ch1.affine, (await readNifti(path.join(src, "imagesTr/task_002.nii.gz"))).volume.affine);
    assert.deepEqual(ch1.data, imageVolume(fx.shape, fx.affine, 1, 1).data);
    const ds = await openDataset(dest);
    assert.deepEqual(ds.channels, ["FLAIR", "T1w"]);
    assert.equal(ds.test.length, 1);
    const report = await checkDataset(dest);
    assert.deepEqual(report.problems, []);
    // A second import into the same folder needs overwrite.
    await assert.rejects(importMsd(src, dest), /is not empty/);
  } finally {
    await removeDir(dir);
  }
});

test("importMsd copies single-channel .nii.gz files byte for byte", async () => {
  const dir = await tempDir();
  try {
    const src = path.join(dir, "msd");
    await makeMsdDataset(src, { cases: 2, channels: 1, test: 0 });
    await importMsd(src, path.join(dir, "out"), { fsync: false });
    assert.deepEqual(await readFile(path.join(dir, "out/imagesTr/task_001_0000.nii.gz")), await readFile(path.join(src, "imagesTr/task_001.nii.gz")));
    assert.deepEqual(await readFile(path.join(dir, "out/labelsTr/task_002.nii.gz")), await readFile(path.join(src, "labelsTr/task_002.nii.gz")));
  } finally {
    await removeDir(dir);
  }
});

test("importMsd refuses an inconsistent MSD dataset.json, listing every issue", async () => {
  const dir = await tempDir();
  try {
    await makeMsdDataset(dir, { cases: 2, channels: 1, test: 0 });
    const json = JSON.parse(await readFile(path.join(dir, "dataset.json"), "utf8")) as Record<string, unknown>;
    await writeJson(dir, "dataset.json", { ...json, numTraining: 5, labels: { "1": "liver", "2": "liver" } });
    await assert.rejects(importMsd(dir, path.join(dir, "out")), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.issues.map((i) => i.path).sort(), ["labels", "labels.0", "numTraining"]);
      return true;
    });
    // A 4-D image whose channel count differs from "modality".
    await writeJson(dir, "dataset.json", { ...json, modality: { "0": "CT", "1": "PET" } });
    await assert.rejects(importMsd(dir, path.join(dir, "out2")), /task_001\.nii\.gz has 1 channel\(s\) but "modality" declares 2/);
  } finally {
    await removeDir(dir);
  }
});
