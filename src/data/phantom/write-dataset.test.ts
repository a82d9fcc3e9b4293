import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { checkDataset } from "../check/index.js";
import { openDataset, readCase, readCaseBoxes } from "../dataset/index.js";
import { readNifti } from "../../io/index.js";
import { generatePhantom } from "./generate.js";
import { phantomSeed } from "./rng.js";
import { writePhantomDataset, type PhantomDatasetOptions } from "./write-dataset.js";

const tmp: string[] = [];
async function scratch(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), "labelwise-phantom-"));
  tmp.push(d);
  return d;
}
after(async () => {
  for (const d of tmp) await rm(d, { recursive: true, force: true });
});

function same(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

async function listFiles(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, p)));
    else out.push(p);
  }
  return out.sort();
}

const OPTS: PhantomDatasetOptions = { cases: 4, testCases: 2, seed: 17, shape: [32, 28, 20], spacing: [1.2, 1.2, 2], classes: 4, noise: "rician" };

describe("writePhantomDataset()", () => {
  test("writes an nnU-Net v2 raw dataset that opens, reads back and passes labelwise check", async () => {
    const root = path.join(await scratch(), "Dataset901_Phantom");
    const r = await writePhantomDataset(root, OPTS);
    assert.deepEqual(r.training, ["phantom_000", "phantom_001", "phantom_002", "phantom_003"]);
    assert.deepEqual(r.test, ["phantom_004", "phantom_005"]);
    assert.deepEqual(await listFiles(root), [
      "boxes/phantom_000.json",
      "boxes/phantom_001.json",
      "boxes/phantom_002.json",
      "boxes/phantom_003.json",
      "dataset.json",
      "imagesTr/phantom_000_0000.nii.gz",
      "imagesTr/phantom_001_0000.nii.gz",
      "imagesTr/phantom_002_0000.nii.gz",
      "imagesTr/phantom_003_0000.nii.gz",
      "imagesTs/phantom_004_0000.nii.gz",
      "imagesTs/phantom_005_0000.nii.gz",
      "labelsTr/phantom_000.nii.gz",
      "labelsTr/phantom_001.nii.gz",
      "labelsTr/phantom_002.nii.gz",
      "labelsTr/phantom_003.nii.gz",
      "labelsTs/phantom_004.nii.gz",
      "labelsTs/phantom_005.nii.gz",
    ]);

    const ds = await openDataset(root);
    assert.deepEqual(ds.json.labels, { background: 0, liver: 1, kidney: 2, vessel: 3, spleen: 4 });
    assert.equal(ds.json.numTraining, 4);
    assert.deepEqual(ds.channels, ["phantom"]);
    assert.deepEqual(ds.training.map((c) => c.id), r.training);
    assert.deepEqual(ds.test.map((c) => c.id), r.test);
    for (const [k, c] of ds.training.entries()) {
      const want = generatePhantom({ ...OPTS, seed: phantomSeed(17, k) });
      const got = await readCase(c);
      assert.ok(same(got.images[0]!.data, want.image.data), `${c.id} image`);
      assert.ok(same(got.label!.data, want.label.data), `${c.id} label`);
      assert.equal(got.label!.dtype, "uint8");
      assert.deepEqual(got.images[0]!.affine.map((row) => row.map((v) => +v.toFixed(5))), want.image.affine.map((row) => row.map((v) => +v.toFixed(5))));
      const boxes = await readCaseBoxes(ds, c);
      assert.deepEqual(boxes.map((b) => ({ label: b.value, name: b.label, min: b.voxel.min, max: b.voxel.max })), want.boxes);
    }
    for (const [k, c] of ds.test.entries()) {
      const want = generatePhantom({ ...OPTS, seed: phantomSeed(17, 4 + k) });
      const label = await readNifti(path.join(root, "labelsTs", `${c.id}.nii.gz`));
      assert.ok(same(label.volume.data, want.label.data), `${c.id} test label`);
    }
    const report = await checkDataset(root);
    assert.equal(report.errors, 0, JSON.stringify(report.problems));
    const json = JSON.parse(await readFile(path.join(root, "dataset.json"), "utf8"));
    assert.equal(json.labelwise_phantom.seed, 17);
  });

  test("is deterministic: two runs write byte-identical files", async () => {
    const [a, b] = [await scratch(), await scratch()];
    await writePhantomDataset(a, { ...OPTS, testCases: 1 });
    await writePhantomDataset(b, { ...OPTS, testCases: 1 });
    const files = await listFiles(a);
    assert.deepEqual(await listFiles(b), files);
    for (const f of files) assert.ok((await readFile(path.join(a, f))).equals(await readFile(path.join(b, f))), f);
  });

  test("refuses to replace a dataset.json unless asked", async () => {
    const root = await scratch();
    await writeFile(path.join(root, "dataset.json"), "{}");
    await assert.rejects(writePhantomDataset(root, { cases: 1, shape: [16, 16, 16] }), /exists \(pass overwrite: true/);
    await writePhantomDataset(root, { cases: 1, shape: [16, 16, 16], overwrite: true, boxes: false });
    assert.deepEqual(await listFiles(root), ["dataset.json", "imagesTr/phantom_000_0000.nii.gz", "labelsTr/phantom_000.nii.gz"]);
    await assert.rejects(writePhantomDataset(root, { cases: -1 }), /cases must be an integer/);
    await assert.rejects(writePhantomDataset(root, { prefix: "a/b", overwrite: true }), /prefix/);
  });

  test("writes a 20-case 64³ dataset in under 10 s", async (t) => {
    const root = await scratch();
    const t0 = performance.now();
    const r = await writePhantomDataset(root, { cases: 20, seed: 1, shape: [64, 64, 64] });
    const s = (performance.now() - t0) / 1000;
    t.diagnostic(`20 cases of 64³ (3 classes, boxes, gzip level 1): ${s.toFixed(2)} s`);
    assert.equal(r.training.length, 20);
    assert.ok(s < 10, `${s} s`);
  });
});
