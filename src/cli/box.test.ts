// End-to-end through the real CLI: `boxes-from-labels` on a phantom dataset → `check` →
// `train --strategy box` with mixed supervision (one labelled case, the rest boxes) → `predict`
// with and without `--boxes`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { boxesFromLabel, openDataset, readBoxFile, writeBoxFile } from "../data/index.js";
import { writePhantomDataset } from "../data/phantom/index.js";
import { readNifti } from "../io/index.js";
import { loadCheckpoint } from "../training/index.js";

const bin = fileURLToPath(new URL("../../../bin/labelwise.js", import.meta.url));
const work = mkdtempSync(path.join(tmpdir(), "labelwise-cli-box-"));
const ds = path.join(work, "Dataset902_BoxTiny");
const out = path.join(work, "runs");
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

before(async () => {
  await writePhantomDataset(ds, { cases: 6, testCases: 2, shape: [32, 32, 24], classes: 2, seed: 4, boxes: false });
});
after(async () => rm(work, { recursive: true, force: true }));

test("labelwise boxes-from-labels --help lists its options", () => {
  const r = cli("boxes-from-labels", "--help");
  assert.equal(r.status, 0);
  for (const o of ["--margin", "--jitter", "--seed", "--cases", "--overwrite", "--mark"]) assert.ok(r.stdout.includes(o), o);
  const bad = cli("boxes-from-labels", ds, "--jitter", "-2");
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--jitter must be a number of mm >= 0\. Received: -2/);
});

test("boxes-from-labels → check → train --strategy box (mixed supervision) → predict [--boxes]", async () => {
  // 1. Boxes from labels, jittered; a second run refuses to overwrite.
  const derive = cli("boxes-from-labels", ds, "--margin", "1", "--jitter", "1", "--seed", "3");
  assert.equal(derive.status, 0, derive.stderr);
  assert.match(derive.stdout, /wrote 12 box\(es\) for 6 case\(s\) \(margin 1 mm, jitter 1 mm, seed 3\)/);
  assert.equal((await readdir(path.join(ds, "boxes"))).length, 6);
  const again = cli("boxes-from-labels", ds);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /box file\(s\) exist/);

  // 2. check validates them: clean now; a box naming an unknown label is an error.
  const ok = cli("check", ds, "--no-progress");
  assert.equal(ok.status, 0, ok.stdout);
  const f = path.join(ds, "boxes/phantom_002.json");
  const good = await readFile(f, "utf8");
  const bad = JSON.parse(good);
  bad.boxes[0].label = "heart";
  await writeFile(f, JSON.stringify(bad));
  const broken = cli("check", ds, "--no-progress");
  assert.equal(broken.status, 1);
  assert.match(broken.stdout, /^ERROR phantom_002 boxes\/phantom_002\.json boxes\[0\]\.label: "heart" is not a label of dataset\.json/m);
  await writeFile(f, good);

  // 3. Train the box strategy: 1 labelled case, every other training case as boxes.
  assert.equal(cli("plan", ds, "--out", out, "--base-filters", "4", "--max-patch-voxels", "8192").status, 0);
  const config = path.join(work, "box.json");
  await writeFile(
    config,
    JSON.stringify({
      strategy: { kind: "box", pairwise: { warmupIterations: 2 }, geometricPrior: { warmupIterations: 2, templatePoints: 256 }, contrastive: { coarseIterations: 3, perLabel: 16, dim: 8 } },
      optimizer: { kind: "adam", lr: 0.003 },
      split: { folds: 3, labelled: { count: 1 }, boxes: { fraction: 1 } },
      training: { epochs: 1, iterationsPerEpoch: 6, validationCases: 1 },
      data: { augmentation: { rotation: { p: 0 }, scaling: { p: 0 } } },
    }),
  );
  const train = cli("train", ds, "--out", out, "--config", config, "--threads", "1", "--workers", "0", "--json");
  assert.equal(train.status, 0, train.stderr);
  const events = train.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(events.filter((e) => e.event === "iteration").length, 6);
  assert.equal(events.at(-1)!.event, "end");
  const runDir = path.join(out, "Dataset902_BoxTiny", "3d_fullres", "box", "fold_0");
  const record = JSON.parse(await readFile(path.join(runDir, "config.json"), "utf8"));
  const splits = JSON.parse(await readFile(record.splitsFile, "utf8"));
  assert.equal(splits.splits[0].train.labelled.length, 1);
  assert.equal(splits.splits[0].train.boxes.length, 3, "6 cases, 2 for validation, 1 labelled, the other 3 boxes");
  assert.deepEqual(splits.boxes, { fraction: 1 });
  // The shape templates came from the fold's labelled case and were checkpointed.
  const ckpt = (await loadCheckpoint(runDir, "final"))!;
  try {
    const labelledCase = splits.splits[0].train.labelled[0];
    assert.deepEqual(ckpt.strategy.json.templateOrigins, [`case:${labelledCase}`, `case:${labelledCase}`]);
    assert.ok(ckpt.tensors.has("strategy/template/0") && ckpt.tensors.has("strategy/template/1"));
  } finally {
    ckpt.dispose();
  }

  // 4. Predict the test images, then again restricted to their boxes.
  const boxRoot = path.join(work, "test-boxes");
  const d = await openDataset(ds);
  const testIds = d.test.map((c) => c.id);
  for (const id of testIds) {
    const label = (await readNifti(path.join(ds, "labelsTs", `${id}.nii.gz`))).volume;
    const file = boxesFromLabel(id, label, d.json);
    file.boxes = file.boxes.map((b) => ({ label: b.label, value: b.value, voxel: { min: b.voxel!.min.map((v) => v + 2) as never, max: b.voxel!.max } }));
    await writeBoxFile(boxRoot, file);
  }
  const free = cli("predict", "-i", path.join(ds, "imagesTs"), "-o", path.join(work, "pred"), "-m", runDir, "--threads", "1", "--no-progress");
  assert.equal(free.status, 0, free.stderr);
  const boxed = cli("predict", "-i", path.join(ds, "imagesTs"), "-o", path.join(work, "pred-boxed"), "-m", runDir, "--threads", "1", "--no-progress", "--boxes", path.join(boxRoot, "boxes"));
  assert.equal(boxed.status, 0, boxed.stderr);
  let removed = 0;
  for (const id of testIds) {
    const a = (await readNifti(path.join(work, "pred", `${id}.nii.gz`))).volume.data as Uint8Array;
    const b = (await readNifti(path.join(work, "pred-boxed", `${id}.nii.gz`))).volume.data as Uint8Array;
    const boxes = (await readBoxFile(boxRoot, id))!.boxes;
    const [nx, ny] = [32, 32];
    for (let p = 0; p < b.length; p++) {
      if (a[p] !== 0 && b[p] === 0) removed++;
      if (b[p] === 0) continue;
      assert.equal(b[p], a[p], "restriction only removes voxels");
      const box = boxes.find((x) => x.value === b[p])!.voxel!;
      const [i, j, k] = [p % nx, Math.floor(p / nx) % ny, Math.floor(p / (nx * ny))];
      assert.ok(i >= box.min[0] && i < box.max[0] && j >= box.min[1] && j < box.max[1] && k >= box.min[2] && k < box.max[2], `${id}: voxel [${i},${j},${k}] of label ${b[p]} outside its box`);
    }
  }
  assert.ok(removed > 0, "the boxes (shrunk by 2 voxels) removed some predicted voxels");
  // A case without a box file fails, naming the file.
  await rm(path.join(boxRoot, "boxes", `${testIds[0]}.json`));
  const missing = cli("predict", "-i", path.join(ds, "imagesTs"), "-o", path.join(work, "pred-missing"), "-m", runDir, "--threads", "1", "--no-progress", "--boxes", path.join(boxRoot, "boxes"));
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, new RegExp(`${testIds[0]}\\.json is missing`));
});
