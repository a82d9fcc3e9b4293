import assert from "node:assert/strict";
import { rm, truncate, unlink, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Volume, composeAffine } from "../../volume/index.js";
import { createManifest, openDataset, readCase, readCaseBoxes, writeManifest, type Dataset } from "../dataset/index.js";
import { computeFingerprint } from "../fingerprint/index.js";
import { writePhantomDataset } from "../phantom/index.js";
import { planExperiment, resolvePlanConfiguration, type Plans } from "../plan/index.js";
import { casePaths, preprocessCase, preprocessDataset, readCaseSync, readHeaderSync } from "./index.js";

let root: string;
let ds: Dataset;
let plans: Plans;

before(async () => {
  root = path.join(tmpdir(), `labelwise-pp-${process.pid}`);
  await writePhantomDataset(path.join(root, "ds"), { cases: 3, shape: [20, 18, 12], spacing: [1, 1, 2], classes: 2, seed: 3 });
  await writeManifest(path.join(root, "ds"), createManifest({ phantom_002: "boxes" }));
  ds = await openDataset(path.join(root, "ds"));
  plans = planExperiment(await computeFingerprint(ds), ds.json, { baseFilters: 4, maxPatchVoxels: 4096 });
});
after(async () => rm(root, { recursive: true, force: true }));

test("preprocessDataset(): writes every case once, then reuses the cache while the plan and sources are unchanged", async () => {
  const cfg = resolvePlanConfiguration(plans, "3d_fullres");
  const dir = path.join(root, "cache1");
  const first = await preprocessDataset(ds, plans, cfg, dir, { fsync: false });
  assert.deepEqual(first.written, ["phantom_000", "phantom_001", "phantom_002"]);
  const second = await preprocessDataset(ds, plans, cfg, dir, { fsync: false });
  assert.deepEqual(second.written, []);
  assert.deepEqual(second.reused, first.written);
  assert.equal(second.preprocessingHash, first.preprocessingHash);
});

test("preprocessDataset(): a changed plan, a touched source file or a corrupt binary invalidates exactly what it should", async () => {
  const cfg = resolvePlanConfiguration(plans, "3d_fullres");
  const dir = path.join(root, "cache2");
  await preprocessDataset(ds, plans, cfg, dir, { fsync: false });
  const coarser = { ...cfg, spacing: [2, 2, 2] as [number, number, number] };
  const redone = await preprocessDataset(ds, plans, coarser, dir, { fsync: false });
  assert.equal(redone.written.length, 3, "a new spacing changes the hash");
  assert.notEqual(redone.preprocessingHash, (await preprocessDataset(ds, plans, cfg, dir, { fsync: false })).preprocessingHash);
  const img = ds.training[1]!.images[0]!;
  const later = new Date(Date.now() + 5000);
  await utimes(img, later, later);
  const touched = await preprocessDataset(ds, plans, cfg, dir, { fsync: false });
  assert.deepEqual(touched.written, ["phantom_001"]);
  await truncate(casePaths(dir, "phantom_000").bin, 100);
  const repaired = await preprocessDataset(ds, plans, cfg, dir, { fsync: false });
  assert.deepEqual(repaired.written, ["phantom_000"]);
});

test("cached cases read back equal to the preprocessed arrays; boxes land on their organ", async () => {
  const cfg = resolvePlanConfiguration(plans, "3d_fullres");
  const dir = path.join(root, "cache3");
  await preprocessDataset(ds, plans, cfg, dir, { fsync: false });
  const c = ds.training[2]!;
  const loaded = await readCase(c);
  const direct = preprocessCase(c.id, loaded.images, loaded.label, await readCaseBoxes(ds, c), cfg);
  const header = readHeaderSync(casePaths(dir, c.id).header)!;
  const back = readCaseSync(dir, header);
  assert.deepEqual(back.shape, direct.shape);
  assert.deepEqual(Array.from(back.image), Array.from(direct.image));
  assert.deepEqual(Array.from(back.label!), Array.from(direct.label!));
  assert.deepEqual([...back.classLocations.keys()], [1, 2]);
  assert.ok(back.boxes && back.boxes.length === 2);
  const [nx, ny] = back.shape;
  for (const b of back.boxes) {
    for (const i of back.classLocations.get(b.value)!) {
      const p = [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))];
      assert.ok(p.every((v, a) => v >= b.min[a]! && v < b.max[a]!), `voxel ${p} of ${b.label} outside its box ${b.min}..${b.max}`);
    }
  }
  assert.equal(direct.meta.spacing[2], cfg.spacing[2]);
});

test("preprocessDataset(): an unlabelled case without a label file is cached without a label map", async () => {
  const dir = path.join(root, "ds2");
  await writePhantomDataset(dir, { cases: 2, shape: [12, 12, 8], classes: 1, seed: 5 });
  await writeManifest(dir, createManifest({ phantom_001: "unlabelled" }));
  await unlink(path.join(dir, "labelsTr", "phantom_001.nii.gz"));
  const ds2 = await openDataset(dir);
  const p2 = planExperiment(await computeFingerprint(ds2), ds2.json, { baseFilters: 4 });
  const cache = path.join(root, "cache4");
  const idx = await preprocessDataset(ds2, p2, resolvePlanConfiguration(p2, "3d_fullres"), cache, { fsync: false });
  const h = idx.headers.get("phantom_001")!;
  assert.equal(h.segments.label, null);
  assert.equal(h.sources.length, 1, "only the image is a source");
  const pc = readCaseSync(cache, h);
  assert.equal(pc.label, null);
  assert.equal(pc.classLocations.size, 0);
});

test("preprocessCase(): an LPS scan comes out in RAS, resampled, normalised, with world positions kept", () => {
  const affine = composeAffine({ spacing: [2, 2, 2], origin: [10, 20, 0], direction: [[-1, 0, 0], [0, -1, 0], [0, 0, 1]] });
  const n = 4 * 4 * 3;
  const img = new Float32Array(n).map((_, i) => 1 + (i % 7));
  const lab = new Uint8Array(n);
  lab[0] = 1; // voxel (0,0,0): world (10, 20, 0)
  const image = new Volume({ data: img, shape: [4, 4, 3], affine });
  const label = new Volume({ data: lab, shape: [4, 4, 3], affine });
  const cfg = { ...resolvePlanConfiguration(plans, "3d_fullres"), spacing: [1, 1, 1] as [number, number, number], normalization: [{ scheme: "zscore" as const, channel: 0, name: "x", useNonzeroMask: false }] };
  const pc = preprocessCase("lps", [image], label, null, cfg);
  assert.deepEqual(pc.shape, [8, 8, 6]);
  assert.equal(pc.meta.originalOrientation, "LPS");
  assert.ok(pc.meta.affine[0]![0]! > 0 && pc.meta.affine[1]![1]! > 0, "RAS axes");
  let mean = 0;
  for (const v of pc.image) mean += v / pc.image.length;
  assert.ok(Math.abs(mean) < 0.2, `z-scored mean ${mean}`);
  // The labelled voxels sit at the +x, +y end (the old origin corner after flipping x and y).
  const locs = pc.classLocations.get(1)!;
  assert.ok(locs.length > 0);
  for (const i of locs) {
    const x = i % 8, y = Math.floor(i / 8) % 8;
    assert.ok(x >= 6 && y >= 6, `label voxel at ${x},${y}`);
  }
});
