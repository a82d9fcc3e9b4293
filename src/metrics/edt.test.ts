import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { distanceTransform, squaredDistanceTransform } from "./edt.js";
import type { GridShape, Spacing } from "./label-map.js";
import { blank, sprinkle } from "./_testing/shapes.js";
import { EDT_SCRIPT, runScipy } from "./_testing/scipy-ref.js";

interface EdtCase {
  readonly name: string;
  readonly shape: GridShape;
  readonly spacing: Spacing;
  readonly features: Uint8Array;
}

function single(shape: GridShape, at: number): Uint8Array {
  const m = blank(shape);
  m[at] = 1;
  return m;
}

const CASES: EdtCase[] = [
  { name: "sparse features, isotropic", shape: [23, 17, 11], spacing: [1, 1, 1], features: sprinkle(blank([23, 17, 11]), 0.002, 1, 1) },
  { name: "sparse features, anisotropic", shape: [23, 17, 11], spacing: [0.7, 1.3, 3.1], features: sprinkle(blank([23, 17, 11]), 0.002, 1, 2) },
  { name: "dense features, anisotropic", shape: [16, 16, 16], spacing: [2.5, 0.4, 1], features: sprinkle(blank([16, 16, 16]), 0.3, 1, 3) },
  { name: "one feature in a corner", shape: [12, 9, 7], spacing: [1, 2, 3], features: single([12, 9, 7], 0) },
  { name: "one feature inside", shape: [12, 9, 7], spacing: [0.5, 0.5, 5], features: single([12, 9, 7], 5 + 12 * (4 + 9 * 3)) },
  { name: "degenerate axes (1×n×m)", shape: [1, 13, 8], spacing: [1, 0.9, 1.1], features: sprinkle(blank([1, 13, 8]), 0.05, 1, 4) },
  { name: "degenerate axes (n×1×1)", shape: [31, 1, 1], spacing: [1.5, 1, 1], features: single([31, 1, 1], 20) },
  { name: "long z lines (blocked pass)", shape: [5, 7, 40], spacing: [1, 1, 0.6], features: sprinkle(blank([5, 7, 40]), 0.01, 1, 5) },
];

describe("squaredDistanceTransform()", () => {
  test("agrees with scipy.ndimage.distance_transform_edt(sampling=…) to 1e-9", (t) => {
    const arrays: Record<string, Uint8Array> = {};
    CASES.forEach((c, i) => (arrays[`e${i}`] = c.features));
    const ref = runScipy<number[][]>(EDT_SCRIPT, { cases: CASES.map((c, i) => ({ key: `e${i}`, shape: c.shape, spacing: c.spacing })) }, arrays);
    let worst = 0;
    CASES.forEach((c, i) => {
      const got = squaredDistanceTransform(c.features, c.shape, c.spacing);
      const want = ref[i]!;
      assert.equal(got.length, want.length);
      for (let v = 0; v < got.length; v++) {
        const d = Math.abs(Math.sqrt(got[v]!) - Math.sqrt(want[v]!));
        worst = Math.max(worst, d);
        assert.ok(d <= 1e-9, `${c.name}: voxel ${v}: ${Math.sqrt(got[v]!)} vs scipy ${Math.sqrt(want[v]!)}`);
      }
    });
    t.diagnostic(`max |distance − scipy| = ${worst}`);
  });

  test("is 0 on features and Infinity everywhere without any feature", () => {
    const f = single([4, 4, 4], 21);
    const d = squaredDistanceTransform(f, [4, 4, 4]);
    assert.equal(d[21], 0);
    assert.equal(d[22], 1);
    assert.ok(squaredDistanceTransform(blank([3, 4, 5]), [3, 4, 5]).every((v) => v === Infinity));
  });

  test("distanceTransform() is the square root, in mm", () => {
    const d = distanceTransform(single([5, 1, 1], 0), [5, 1, 1], [2, 1, 1]);
    assert.deepEqual([...d], [0, 2, 4, 6, 8]);
  });

  test("rejects bad shapes, spacings and short arrays", () => {
    assert.throws(() => squaredDistanceTransform(blank([2, 2, 2]), [2, 2, 0] as unknown as GridShape), /shape must be 3 positive integers/);
    assert.throws(() => squaredDistanceTransform(blank([2, 2, 2]), [2, 2, 2], [1, 0, 1]), /spacing must be 3 positive/);
    assert.throws(() => squaredDistanceTransform(blank([2, 2, 1]), [2, 2, 2]), /features must hold 8 voxels/);
  });
});
