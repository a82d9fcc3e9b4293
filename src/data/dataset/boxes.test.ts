import assert from "node:assert/strict";
import { test } from "node:test";
import { composeAffine, type Mat3, type Vec3 } from "../../volume/index.js";
import { fixtureAffine, LABELS, labelVolume, ORGAN_BOXES, removeDir, tempDir } from "../_testing/fixtures.js";
import { boxesFromLabel, DatasetJsonSchema, labelBoundingBoxes, readBoxFile, validateBoxes, voxelToWorldBox, worldToVoxelBox, writeBoxFile, type BoxFile } from "./index.js";

const ds = DatasetJsonSchema.parse({ channel_names: { "0": "CT" }, labels: LABELS, numTraining: 1, file_ending: ".nii.gz" });
const close = (a: readonly number[], b: readonly number[], eps = 1e-9) => assert.ok(a.every((v, i) => Math.abs(v - b[i]!) <= eps), `${a} vs ${b}`);

test("voxelToWorldBox covers voxel edges, with min/max sorted in RAS", () => {
  // Spacing [1, 1.5, 2], origin [10, -20, 5], x and y flipped.
  const w = voxelToWorldBox({ min: [1, 1, 1], max: [4, 3, 3] }, fixtureAffine());
  close(w.min, [10 - 3.5, -20 - 2.5 * 1.5, 5 + 0.5 * 2]);
  close(w.max, [10 - 0.5, -20 - 0.5 * 1.5, 5 + 2.5 * 2]);
});

test("worldToVoxelBox inverts voxelToWorldBox for every axis permutation and flip", () => {
  const perms: [number, number, number][] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  const box = { min: [2, 0, 3] as Vec3, max: [5, 4, 7] as Vec3 };
  let n = 0;
  for (const p of perms) {
    for (let flips = 0; flips < 8; flips++) {
      const dir = [0, 1, 2].map((r) => [0, 1, 2].map((c) => (p[c] === r ? ((flips >> c) & 1 ? -1 : 1) : 0))) as unknown as Mat3;
      const affine = composeAffine({ spacing: [0.7, 1.3, 2.5], origin: [-12.3, 40.1, 7], direction: dir });
      assert.deepEqual(worldToVoxelBox(voxelToWorldBox(box, affine), affine), box);
      n++;
    }
  }
  assert.equal(n, 48);
});

test("an oblique image's world box is the bounding box, and converting back keeps the voxels inside", () => {
  const t = Math.PI / 6;
  const rot: Mat3 = [
    [Math.cos(t), -Math.sin(t), 0],
    [Math.sin(t), Math.cos(t), 0],
    [0, 0, 1],
  ];
  const affine = composeAffine({ spacing: [1, 1, 1], origin: [0, 0, 0], direction: rot });
  const box = { min: [2, 2, 2] as Vec3, max: [6, 5, 4] as Vec3 };
  const back = worldToVoxelBox(voxelToWorldBox(box, affine), affine);
  for (let a = 0; a < 3; a++) {
    assert.ok(back.min[a]! <= box.min[a]! && back.max[a]! >= box.max[a]!, JSON.stringify(back));
  }
});

test("boxesFromLabel finds each organ's tight box; validateBoxes accepts it; the file round-trips", async () => {
  const affine = fixtureAffine();
  const label = labelVolume([8, 7, 6], affine);
  assert.deepEqual(labelBoundingBoxes(label).get(2), ORGAN_BOXES.spleen);
  const file = boxesFromLabel("case_001", label, ds);
  assert.deepEqual(file.boxes.map((b) => [b.label, b.value, b.voxel]), [
    ["liver", 1, ORGAN_BOXES.liver],
    ["spleen", 2, ORGAN_BOXES.spleen],
  ]);
  const r = validateBoxes("case_001", file, ds, { shape: [8, 7, 6], affine });
  assert.deepEqual(r.problems, []);
  assert.equal(r.boxes.length, 2);
  const dir = await tempDir();
  try {
    await writeBoxFile(dir, file);
    assert.deepEqual(await readBoxFile(dir, "case_001"), file);
    assert.equal(await readBoxFile(dir, "case_002"), undefined);
  } finally {
    await removeDir(dir);
  }
});

test("validateBoxes fills in voxels from world-only boxes and reports each bad box", () => {
  const affine = fixtureAffine();
  const grid = { shape: [8, 7, 6] as const, affine };
  const world = voxelToWorldBox(ORGAN_BOXES.liver, affine);
  const worldOnly: BoxFile = { format: "labelwise-boxes", version: 1, case: "c", boxes: [{ label: "liver", value: 1, world }] };
  const ok = validateBoxes("c", worldOnly, ds, grid);
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.boxes[0]!.voxel, ORGAN_BOXES.liver);
  const bad: BoxFile = {
    format: "labelwise-boxes",
    version: 1,
    case: "other",
    boxes: [
      { label: "liver", value: 2, voxel: { min: [0, 0, 0], max: [9, 2, 2] } },
      { label: "kidney", value: 3, voxel: { min: [0, 0, 0], max: [1, 1, 1] } },
      { label: "spleen", value: 2, voxel: { min: [3, 3, 3], max: [3, 4, 4] } },
      { label: "spleen", value: 2, voxel: { min: [1, 1, 1], max: [2, 2, 2] }, world: { min: [0, 0, 0], max: [1, 1, 1] } },
    ],
  };
  const lines = validateBoxes("c", bad, ds, grid).problems.map((p) => `${p.field}: ${p.message}`);
  const expected = [
    /^case: file names case "other"; expected "c"$/,
    /^boxes\[0\]\.value: "liver" is 1 in dataset\.json vs 2 in the box file$/,
    /^boxes\[0\]\.voxel: outside the volume: min \[0,0,0\] max \[9,2,2\] vs shape \[8,7,6\]$/,
    /^boxes\[1\]\.label: "kidney" is not a label of dataset\.json/,
    /^boxes\[2\]\.voxel: min ≥ max on axis i: min \[3,3,3\] max \[3,4,4\]$/,
    /^boxes\[3\]\.label: second box for "spleen"/,
    /^boxes\[3\]\.world: disagrees with the voxel box by [\d.]+ mm/,
  ];
  assert.equal(lines.length, expected.length, lines.join("\n"));
  expected.forEach((re, i) => assert.match(lines[i]!, re));
});
