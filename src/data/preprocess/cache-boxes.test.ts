// Boxes in the preprocessing cache: a split can turn a labelled case into a box case (boxCases),
// and an edited box file must be preprocessed again (its size and mtime are part of the stamps).
import assert from "node:assert/strict";
import { mkdtemp, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { deriveBoxFiles, openDataset, type Dataset } from "../dataset/index.js";
import { computeFingerprint } from "../fingerprint/index.js";
import { writePhantomDataset } from "../phantom/index.js";
import { planExperiment, resolvePlanConfiguration, type Plans } from "../plan/index.js";
import { casePaths, preprocessDataset, readHeaderSync } from "./index.js";

let root: string;
let ds: Dataset;
let plans: Plans;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "labelwise-cache-boxes-"));
  await writePhantomDataset(path.join(root, "ds"), { cases: 2, shape: [20, 18, 12], classes: 2, seed: 3, boxes: false });
  await deriveBoxFiles(path.join(root, "ds"));
  ds = await openDataset(path.join(root, "ds"));
  plans = planExperiment(await computeFingerprint(ds), ds.json, { baseFilters: 4, maxPatchVoxels: 4096 });
});
after(async () => rm(root, { recursive: true, force: true }));

test("preprocessDataset boxCases: a labelled case gets its boxes when a split uses it as a box case; an edited box file is redone", async () => {
  const cfg = resolvePlanConfiguration(plans, "3d_fullres");
  const dir = path.join(root, "cache");
  const header = (id: string) => readHeaderSync(casePaths(dir, id).header)!;
  await preprocessDataset(ds, plans, cfg, dir, { fsync: false });
  assert.equal(header("phantom_000").boxes, null, "labelled cases carry no boxes by default");
  const asBoxes = await preprocessDataset(ds, plans, cfg, dir, { fsync: false, boxCases: ["phantom_000"] });
  assert.deepEqual(asBoxes.written, ["phantom_000"], "the cached entry without boxes is not reused");
  assert.equal(header("phantom_000").boxes!.length, 2);
  assert.ok(header("phantom_000").sources.some((s) => s.path.endsWith(path.join("boxes", "phantom_000.json"))));
  const again = await preprocessDataset(ds, plans, cfg, dir, { fsync: false, boxCases: ["phantom_000"] });
  assert.deepEqual(again.written, []);
  const later = new Date(Date.now() + 5000);
  await utimes(path.join(ds.root, "boxes", "phantom_000.json"), later, later);
  const edited = await preprocessDataset(ds, plans, cfg, dir, { fsync: false, boxCases: ["phantom_000"] });
  assert.deepEqual(edited.written, ["phantom_000"]);
});
