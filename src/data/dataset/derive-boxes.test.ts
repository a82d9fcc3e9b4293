import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { readNifti } from "../../io/index.js";
import { writePhantomDataset } from "../phantom/index.js";
import { Rng } from "../random/index.js";
import {
  type BoxFile,
  boxesFromLabel,
  createManifest,
  deriveBoxFiles,
  labelBoundingBoxes,
  openDataset,
  perturbVoxelBox,
  readBoxFile,
  readManifest,
  validateBoxes,
  writeManifest,
} from "./index.js";

let work: string;
let ds: string;
const SPACING: [number, number, number] = [1, 1, 2];

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "labelwise-derive-boxes-"));
  ds = path.join(work, "Dataset901_Boxes");
  await writePhantomDataset(ds, { cases: 3, shape: [24, 24, 12], spacing: SPACING, classes: 2, seed: 9, boxes: false });
});
after(async () => rm(work, { recursive: true, force: true }));

async function tight(id: string): Promise<BoxFile> {
  const d = await openDataset(ds);
  const label = (await readNifti(d.training.find((c) => c.id === id)!.label!)).volume;
  return boxesFromLabel(id, label, d.json);
}

test("perturbVoxelBox: faces move by margin ± jitter in mm along each axis's spacing, clipped, never empty", () => {
  const box = { min: [4, 4, 4], max: [10, 10, 6] } as const;
  const grown = perturbVoxelBox(box, [1, 1, 2], [20, 20, 8], { marginMm: 2 }, new Rng(1));
  assert.deepEqual(grown, { min: [2, 2, 3], max: [12, 12, 7] });
  const clipped = perturbVoxelBox(box, [1, 1, 1], [12, 12, 8], { marginMm: 5 }, new Rng(1));
  assert.deepEqual(clipped, { min: [0, 0, 0], max: [12, 12, 8] });
  const collapsed = perturbVoxelBox(box, [1, 1, 1], [20, 20, 8], { marginMm: -4 }, new Rng(1));
  assert.deepEqual(collapsed, { min: [6, 6, 4], max: [7, 7, 5] }, "an inverted box becomes one voxel at its centre");
  for (let s = 0; s < 50; s++) {
    const j = perturbVoxelBox(box, [1, 1, 2], [20, 20, 8], { jitterMm: 2 }, new Rng(s));
    for (let a = 0; a < 3; a++) {
      const reach = a === 2 ? 1 : 2;
      assert.ok(Math.abs(j.min[a]! - box.min[a]!) <= reach && Math.abs(j.max[a]! - box.max[a]!) <= reach, `seed ${s} axis ${a}: ${JSON.stringify(j)}`);
    }
  }
  assert.throws(() => perturbVoxelBox(box, [1, 1, 1], [20, 20, 8], { jitterMm: -1 }, new Rng(1)), /jitter must be a finite number of mm >= 0\. Received: -1/);
});

test("deriveBoxFiles: tight boxes without perturbation, valid against dataset.json and the image, enclosing their labels", async () => {
  const r = await deriveBoxFiles(ds);
  assert.deepEqual(r.cases, ["phantom_000", "phantom_001", "phantom_002"]);
  const d = await openDataset(ds);
  for (const id of r.cases) {
    const file = (await readBoxFile(ds, id))!;
    assert.deepEqual(file, await tight(id));
    const label = (await readNifti(d.training.find((c) => c.id === id)!.label!)).volume;
    const v = validateBoxes(id, file, d.json, { shape: label.shape, affine: label.affine });
    assert.deepEqual(v.problems, []);
    const lb = labelBoundingBoxes(label);
    for (const b of v.boxes) assert.deepEqual(b.voxel, lb.get(b.value));
  }
  assert.equal(r.boxes, r.cases.length * 2);
});

test("deriveBoxFiles: refuses to overwrite, names unknown cases, and the jitter is seeded per case", async () => {
  await assert.rejects(deriveBoxFiles(ds, { jitterMm: 2 }), /3 box file\(s\) exist, e\.g\. boxes\/phantom_000\.json/);
  await assert.rejects(deriveBoxFiles(ds, { cases: ["phantom_000", "ghost"], overwrite: true }), /not in the dataset's training cases: ghost/);
  await deriveBoxFiles(ds, { jitterMm: 3, marginMm: 1, seed: 5, overwrite: true });
  const all = await readFile(path.join(ds, "boxes/phantom_001.json"), "utf8");
  await deriveBoxFiles(ds, { jitterMm: 3, marginMm: 1, seed: 5, overwrite: true, cases: ["phantom_001"] });
  assert.equal(await readFile(path.join(ds, "boxes/phantom_001.json"), "utf8"), all, "a case's boxes depend only on the seed and its id");
  await deriveBoxFiles(ds, { jitterMm: 3, marginMm: 1, seed: 6, overwrite: true, cases: ["phantom_001"] });
  assert.notEqual(await readFile(path.join(ds, "boxes/phantom_001.json"), "utf8"), all, "another seed, other boxes");
  const file = (await readBoxFile(ds, "phantom_001"))!;
  const t = await tight("phantom_001");
  file.boxes.forEach((b, i) => {
    const o = t.boxes[i]!.voxel!;
    for (let a = 0; a < 3; a++) {
      // margin 1 mm ± 3 mm: −2..4 mm outward, i.e. −2..4 voxels in x/y and −1..2 slices in z.
      const [lo, hi] = a === 2 ? [-1, 2] : [-2, 4];
      const dMin = o.min[a]! - b.voxel!.min[a]!;
      const dMax = b.voxel!.max[a]! - o.max[a]!;
      assert.ok(dMin >= lo && dMin <= hi && dMax >= lo && dMax <= hi, `${b.label} axis ${a}: ${dMin}, ${dMax}`);
    }
  });
});

test("deriveBoxFiles: mark turns the cases into box cases in labelwise.json and keeps the other entries", async () => {
  await writeManifest(ds, createManifest({ phantom_002: "unlabelled" }));
  await deriveBoxFiles(ds, { cases: ["phantom_000"], overwrite: true, mark: true });
  const m = (await readManifest(ds))!;
  assert.deepEqual(m.cases, { phantom_000: { annotation: "boxes" }, phantom_002: { annotation: "unlabelled" } });
  assert.equal(m.defaultAnnotation, "labelled");
  await writeFile(path.join(ds, "labelwise.json"), JSON.stringify(createManifest({})));
});
