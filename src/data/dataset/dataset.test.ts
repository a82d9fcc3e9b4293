import assert from "node:assert/strict";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, before, test } from "node:test";
import { readNifti } from "../../io/index.js";
import { makeNnunetDataset, removeDir, tempDir, writeJson, writeVolume, imageVolume, type Fixture } from "../_testing/fixtures.js";
import { ConfigError, DatasetError } from "../errors.js";
import {
  allowedLabelValues,
  channelNames,
  createManifest,
  DatasetJsonSchema,
  foregroundLabels,
  openDataset,
  readCase,
  readManifest,
  readNiftiGeometry,
  scanLayout,
  writeManifest,
  readDatasetJson,
  readCaseBoxes,
  voxelToWorldBox,
  writeBoxFile,
} from "./index.js";
import { ORGAN_BOXES } from "../_testing/fixtures.js";

const base = { channel_names: { "0": "CT" }, labels: { background: 0, liver: 1 }, numTraining: 1, file_ending: ".nii.gz" };
const issuesOf = (v: unknown) => {
  const r = DatasetJsonSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

test("DatasetJsonSchema accepts nnU-Net's required keys plus unknown extras, and keeps the extras", () => {
  const r = DatasetJsonSchema.parse({ ...base, name: "x", licence: "CC", spacing_mm: [1, 1, 1] });
  assert.deepEqual((r as Record<string, unknown>).spacing_mm, [1, 1, 1]);
  assert.deepEqual(channelNames(r), ["CT"]);
  assert.deepEqual(foregroundLabels(r), [{ name: "liver", values: [1], region: false }]);
  // nnU-Net v1's "modality" is still accepted in place of channel_names.
  const { channel_names: _, ...legacy } = base;
  assert.deepEqual(issuesOf({ ...legacy, modality: { "0": "MRI", "1": "T2" } }), []);
});

test("DatasetJsonSchema refuses what nnU-Net refuses, naming each path", () => {
  assert.match(issuesOf({ ...base, labels: { liver: 1 } }).join("\n"), /labels\.background: required/);
  assert.match(issuesOf({ ...base, labels: { background: 1, liver: 0 } }).join("\n"), /labels\.background: must be 0/);
  assert.match(issuesOf({ ...base, labels: { background: 0, liver: 2 } }).join("\n"), /labels: values must be consecutive/);
  assert.match(issuesOf({ ...base, labels: { background: 0, liver: 1, ignore: 5 } }).join("\n"), /labels\.ignore: must be the single highest value 2/);
  assert.match(issuesOf({ ...base, labels: { background: 0, a: 1, b: [1, 2], c: 2 } }).join("\n"), /regions_class_order: required/);
  assert.match(issuesOf({ ...base, channel_names: { "0": "CT", "2": "MR" } }).join("\n"), /channel_names\.2: keys must be "0".."1"/);
  assert.match(issuesOf({ ...base, numTraining: 1.5 }).join("\n"), /numTraining/);
  assert.match(issuesOf({ ...base, file_ending: "nii.gz" }).join("\n"), /file_ending/);
  const { channel_names: _, ...noChannels } = base;
  assert.match(issuesOf(noChannels).join("\n"), /channel_names: required/);
  // Entries of the explicit "dataset" key are strict: a typo in "label" must not pass.
  assert.match(issuesOf({ ...base, dataset: { a: { images: ["x.nii.gz"], lable: "y" } } }).join("\n"), /dataset\.a/);
  assert.deepEqual([...allowedLabelValues(DatasetJsonSchema.parse({ ...base, labels: { background: 0, liver: 1, ignore: 2 } }))].sort(), [0, 1, 2]);
});

let fx: Fixture;
before(async () => {
  fx = await makeNnunetDataset(await tempDir(), { cases: 3, channels: 2 });
});
after(async () => removeDir(fx.root));

test("readDatasetJson throws one ConfigError listing every issue path", async () => {
  const dir = await tempDir();
  try {
    await writeJson(dir, "dataset.json", { channel_names: { "0": "CT" }, labels: { liver: 1 }, numTraining: "3", file_ending: ".nii.gz" });
    await assert.rejects(readDatasetJson(dir), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.issues.map((i) => i.path), ["numTraining"]);
      assert.match(e.message, /Invalid dataset\.json: 1 issue\n {2}- numTraining:/);
      return true;
    });
    await writeFile(path.join(dir, "dataset.json"), "{ not json");
    await assert.rejects(readDatasetJson(dir), /Invalid dataset\.json: 1 issue\n {2}- \(document\): not valid JSON/);
  } finally {
    await removeDir(dir);
  }
});

test("scanLayout groups channel files per case and sorts cases", async () => {
  const ds = await readDatasetJson(fx.root);
  const scan = await scanLayout(fx.root, ds);
  assert.deepEqual(scan.problems, []);
  assert.deepEqual(scan.training.map((c) => c.id), ["case_001", "case_002", "case_003"]);
  assert.deepEqual(scan.training[1], {
    id: "case_002",
    images: ["imagesTr/case_002_0000.nii.gz", "imagesTr/case_002_0001.nii.gz"],
    label: "labelsTr/case_002.nii.gz",
    labelPath: "labelsTr/case_002.nii.gz",
  });
});

test("openDataset without labelwise.json treats every case as labelled", async () => {
  const ds = await openDataset(fx.root);
  assert.deepEqual(ds.channels, ["CT", "MR"]);
  assert.deepEqual(ds.training.map((c) => c.annotation), ["labelled", "labelled", "labelled"]);
  const c = await readCase(ds.training[0]!);
  assert.equal(c.images.length, 2);
  assert.deepEqual(c.label?.shape, fx.shape);
});

test("labelwise.json marks cases; unlabelled cases may have no label file; round-trips", async () => {
  const dir = await tempDir();
  try {
    const f = await makeNnunetDataset(dir, { cases: 3 });
    // A scan with no label at all, added as a 4th case.
    await writeVolume(dir, "imagesTr/case_004_0000.nii.gz", imageVolume(f.shape, f.affine, 9));
    const ds0 = JSON.parse(await readFile(path.join(dir, "dataset.json"), "utf8")) as Record<string, unknown>;
    await writeJson(dir, "dataset.json", { ...ds0, numTraining: 4 });
    await assert.rejects(openDataset(dir), (e: unknown) => e instanceof DatasetError && /case_004 labelsTr\/case_004\.nii\.gz label: missing/.test(e.message));
    const m = createManifest({ case_001: "labelled", case_002: "boxes", case_003: "unlabelled", case_004: "unlabelled" }, "unlabelled");
    assert.deepEqual(m.cases, { case_001: { annotation: "labelled" }, case_002: { annotation: "boxes" } });
    await writeManifest(dir, m);
    assert.deepEqual(await readManifest(dir), m);
    const ds = await openDataset(dir);
    assert.deepEqual(
      ds.training.map((c) => [c.id, c.annotation, c.label !== null]),
      [
        ["case_001", "labelled", true],
        ["case_002", "boxes", true],
        ["case_003", "unlabelled", true],
        ["case_004", "unlabelled", false],
      ],
    );
  } finally {
    await removeDir(dir);
  }
});

test("labelwise.json is strict and versioned", async () => {
  const dir = await tempDir();
  try {
    await writeJson(dir, "labelwise.json", { format: "labelwise-dataset", version: 2, cases: {} });
    await assert.rejects(readManifest(dir), /version: version 2 is newer than this labelwise reads \(1\)/);
    await writeJson(dir, "labelwise.json", { format: "labelwise-dataset", version: 1, cases: { a: { annotation: "boxed" } }, extra: 1 });
    await assert.rejects(readManifest(dir), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.issues.map((i) => i.path).sort(), ["", "cases.a.annotation"]);
      return true;
    });
    await rm(path.join(dir, "labelwise.json"));
    assert.equal(await readManifest(dir), undefined);
  } finally {
    await removeDir(dir);
  }
});

test("readNiftiGeometry reads only the header and agrees with a full read", async () => {
  const file = path.join(fx.root, "imagesTr/case_002_0001.nii.gz");
  const g = await readNiftiGeometry(file);
  const full = await readNifti(file);
  assert.deepEqual(g.shape, full.volume.shape);
  assert.deepEqual(g.affine, full.volume.affine);
  assert.equal(g.channels, 1);
  assert.equal(g.dtype, "float32");
  // Uncompressed files too.
  const dir = await tempDir();
  try {
    await writeVolume(dir, "a.nii", full.volume);
    assert.deepEqual((await readNiftiGeometry(path.join(dir, "a.nii"))).affine, full.volume.affine);
    await writeFile(path.join(dir, "bad.nii.gz"), new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]));
    await assert.rejects(readNiftiGeometry(path.join(dir, "bad.nii.gz")), /gzip data is corrupt or truncated/);
  } finally {
    await removeDir(dir);
  }
});

test("the explicit \"dataset\" key lists files anywhere; missing and doubly used files are reported", async () => {
  const dir = await tempDir();
  try {
    const f = await makeNnunetDataset(path.join(dir, "src"), { cases: 2 });
    await writeJson(dir, "dataset.json", {
      channel_names: { "0": "CT" },
      labels: { background: 0, liver: 1, spleen: 2 },
      numTraining: 3,
      file_ending: ".nii.gz",
      dataset: {
        a: { images: ["src/imagesTr/case_001_0000.nii.gz"], label: "src/labelsTr/case_001.nii.gz" },
        b: { images: [path.join(f.root, "imagesTr/case_002_0000.nii.gz")], label: "src/labelsTr/nope.nii.gz" },
        c: { images: ["src/imagesTr/case_001_0000.nii.gz"], label: "src/labelsTr/case_002.nii.gz" },
      },
    });
    const scan = await scanLayout(dir, await readDatasetJson(dir));
    assert.deepEqual(scan.training.map((c) => [c.id, c.images[0], c.label]), [
      ["a", "src/imagesTr/case_001_0000.nii.gz", "src/labelsTr/case_001.nii.gz"],
      ["b", "src/imagesTr/case_002_0000.nii.gz", null],
      ["c", "src/imagesTr/case_001_0000.nii.gz", "src/labelsTr/case_002.nii.gz"],
    ]);
    assert.deepEqual(scan.problems.map((p) => `${p.case} ${p.file} ${p.field}: ${p.message}`), [
      'c src/imagesTr/case_001_0000.nii.gz duplicate: file is also listed for case a in dataset.json "dataset"',
    ]);
    await assert.rejects(openDataset(dir), /b src\/labelsTr\/nope\.nii\.gz label: missing/);
  } finally {
    await removeDir(dir);
  }
});

test("readCaseBoxes fills voxel boxes from world-only boxes on the image grid (header only)", async () => {
  const dir = await tempDir();
  try {
    const f = await makeNnunetDataset(dir, { cases: 2 });
    await writeManifest(dir, createManifest({ case_002: "boxes" }));
    const world = voxelToWorldBox(ORGAN_BOXES.spleen, f.affine);
    await writeBoxFile(dir, { format: "labelwise-boxes", version: 1, case: "case_002", boxes: [{ label: "spleen", value: 2, world }] });
    const ds = await openDataset(dir);
    const c = ds.training.find((x) => x.annotation === "boxes")!;
    assert.deepEqual(await readCaseBoxes(ds, c), [{ label: "spleen", value: 2, voxel: ORGAN_BOXES.spleen, world }]);
    await writeBoxFile(dir, { format: "labelwise-boxes", version: 1, case: "case_002", boxes: [{ label: "spleen", value: 1, voxel: ORGAN_BOXES.spleen }] });
    await assert.rejects(readCaseBoxes(ds, c), (e: unknown) => e instanceof DatasetError && /boxes\[0\]\.value: "spleen" is 2 in dataset\.json vs 1/.test(e.message));
  } finally {
    await removeDir(dir);
  }
});
