import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { voxelToWorldBox } from "../data/index.js";
import { type Mat4, Volume } from "../volume/index.js";
import { boxesOnGrid, readCaseBoxFile, restrictToBoxes } from "./index.js";

const AFFINE: Mat4 = [
  [-2, 0, 0, 10],
  [0, 1, 0, -5],
  [0, 0, 3, 0],
  [0, 0, 0, 1],
];
const shape: [number, number, number] = [6, 5, 4];

/** Labels: 1 everywhere in x < 3, 2 elsewhere. */
function labels(): Volume<"uint8"> {
  const data = new Uint8Array(6 * 5 * 4);
  for (let p = 0; p < data.length; p++) data[p] = p % 6 < 3 ? 1 : 2;
  return new Volume({ data, shape, affine: AFFINE });
}

test("restrictToBoxes: organ voxels outside their box become background; organs without a box are kept or removed", () => {
  const box = { value: 1, min: [1, 1, 1] as const, max: [3, 4, 2] as const };
  const kept = restrictToBoxes(labels(), [box]);
  const d = kept.labels.data;
  assert.equal(d[1 + 6 * (1 + 5 * 1)], 1, "inside the box");
  assert.equal(d[0], 0, "label 1 outside its box");
  assert.equal(d[5], 2, "label 2 has no box: kept");
  assert.equal(kept.removed, 3 * 5 * 4 - 2 * 3 * 1);
  assert.deepEqual(kept.labels.affine, AFFINE);
  const removed = restrictToBoxes(labels(), [box], "remove");
  assert.equal(removed.labels.data[5], 0);
  assert.equal(removed.removed, 6 * 5 * 4 - 6);
  assert.equal(labels().data[0], 1, "the input is not modified");
});

test("boxesOnGrid: voxel boxes as stored, world boxes through the scan's affine, clipped; disagreeing labels are errors", () => {
  const voxel = { min: [1, 0, 1] as [number, number, number], max: [4, 3, 3] as [number, number, number] };
  const world = voxelToWorldBox(voxel, AFFINE);
  const model = { background: 0, liver: 1, spleen: 2 };
  const g = boxesOnGrid(
    [
      { label: "liver", value: 1, world },
      { label: "spleen", value: 2, voxel: { min: [-3, 2, 0], max: [9, 5, 4] } },
    ],
    { shape, affine: AFFINE },
    model,
  );
  assert.deepEqual(g, [
    { value: 1, min: [1, 0, 1], max: [4, 3, 3] },
    { value: 2, min: [0, 2, 0], max: [6, 5, 4] },
  ]);
  assert.throws(() => boxesOnGrid([{ label: "liver", value: 2, voxel }], { shape, affine: AFFINE }, model), /boxes\[0\] \("liver"\): label value 2 does not match the model's labels \("liver" is 1 for the model\)/);
  assert.throws(() => boxesOnGrid([{ label: "heart", value: 3, voxel }], { shape, affine: AFFINE }, model), /"heart" is not a label of the model/);
  assert.throws(() => boxesOnGrid([{ label: "liver", value: 1, voxel: { min: [7, 0, 0], max: [9, 1, 1] } }], { shape, affine: AFFINE }), /empty on the scan's grid of shape \[6,5,4\]/);
});

test("readCaseBoxFile: a missing file, an invalid one and one for another case are errors naming the file", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "labelwise-restrict-"));
  try {
    await assert.rejects(readCaseBoxFile(dir, "a"), /a\.json is missing \(--boxes needs one box file per case\)/);
    await writeFile(path.join(dir, "a.json"), JSON.stringify({ format: "labelwise-boxes", version: 1, case: "b", boxes: [] }));
    await assert.rejects(readCaseBoxFile(dir, "a"), /is for case "b"/);
    await writeFile(path.join(dir, "a.json"), JSON.stringify({ format: "labelwise-boxes", version: 1, case: "a", boxes: [{ label: "x", value: 0 }] }));
    await assert.rejects(readCaseBoxFile(dir, "a"), /a\.json/);
    await writeFile(path.join(dir, "a.json"), JSON.stringify({ format: "labelwise-boxes", version: 1, case: "a", boxes: [{ label: "liver", value: 1, voxel: { min: [0, 0, 0], max: [1, 1, 1] } }] }));
    assert.equal((await readCaseBoxFile(dir, "a")).boxes.length, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
