import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzNifti } from "../_internal/fuzz-nifti.js";

test("NIfTI decoder: 3000 mutated headers each decode consistently or throw FormatError", async () => {
  for (const seed of [1, 2, 3]) {
    const stats = await fuzzNifti({ iterations: 1000, seed });
    assert.ok(stats.decoded > 50, `seed ${seed}: too few valid cases (${stats.decoded})`);
    assert.ok(stats.formatErrors > 300, `seed ${seed}: too few rejected cases (${stats.formatErrors})`);
  }
});
