import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { writeNifti } from "../io/index.js";
import { Volume } from "../volume/index.js";
import { readLabelMapSync } from "./strategy-data.js";

test("readLabelMapSync: .nii and .nii.gz label maps read synchronously and reoriented to RAS; bad files are named", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "labelwise-labelmap-"));
  try {
    // x flipped (LAS): voxel 0 along x is the rightmost; after reorientation it is the last.
    const data = new Uint8Array(4 * 3 * 2);
    data[0] = 1;
    const lps = new Volume({ data, shape: [4, 3, 2], affine: [[-1, 0, 0, 3], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]] });
    for (const name of ["map.nii", "map.nii.gz"]) {
      await writeNifti(path.join(dir, name), lps, { fsync: false });
      const v = readLabelMapSync(path.join(dir, name));
      assert.deepEqual(v.shape, [4, 3, 2]);
      assert.ok(v.affine[0]![0]! > 0, "x increases to the right (RAS)");
      assert.equal((v.data as Uint8Array)[3], 1, "the labelled voxel moved to the other end of x");
      assert.equal(Array.from(v.data as Uint8Array).reduce((a, b) => a + b, 0), 1);
    }
    assert.throws(() => readLabelMapSync(path.join(dir, "missing.nii.gz")), /Cannot read the label map .*missing\.nii\.gz/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
