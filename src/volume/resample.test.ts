import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applyAffine, composeAffine, maxAbsDiff, type Mat3, type Vec3 } from "./affine.js";
import { resampleToShape, resampleToSpacing, shapeForSpacing } from "./resample.js";
import { Volume } from "./volume.js";

const OBLIQUE: Mat3 = (() => {
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  return [[c, 0, s], [0, -1, 0], [-s, 0, c]]; // a rotation composed with a y flip
})();

/** f(world) = 2x − 3y + 0.5z + 7: trilinear interpolation reproduces linear functions exactly. */
const f = (p: Vec3) => 2 * p[0] - 3 * p[1] + 0.5 * p[2] + 7;

function analytic(shape: readonly [number, number, number], spacing: Vec3): Volume<"float32"> {
  const affine = composeAffine({ spacing, origin: [-12, 40, 3], direction: OBLIQUE });
  const v = new Volume({ data: new Float32Array(shape[0] * shape[1] * shape[2]), dtype: "float32", shape, affine });
  for (let k = 0; k < shape[2]; k++) {
    for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) v.data[v.offset(i, j, k)] = f(v.voxelToWorld([i, j, k]));
  }
  return v;
}

/** Sphere of radius r mm (label 1) around the world centre of the grid. */
function sphere(shape: readonly [number, number, number], spacing: Vec3, r: number): Volume<"uint8"> {
  const affine = composeAffine({ spacing, origin: [0, 0, 0], direction: [[1, 0, 0], [0, 1, 0], [0, 0, 1]] });
  const v = new Volume({ data: new Uint8Array(shape[0] * shape[1] * shape[2]), dtype: "uint8", shape, affine });
  const c = v.voxelToWorld([(shape[0] - 1) / 2, (shape[1] - 1) / 2, (shape[2] - 1) / 2]);
  for (let k = 0; k < shape[2]; k++) {
    for (let j = 0; j < shape[1]; j++) {
      for (let i = 0; i < shape[0]; i++) {
        const p = v.voxelToWorld([i, j, k]);
        v.data[v.offset(i, j, k)] = Math.hypot(p[0] - c[0], p[1] - c[1], p[2] - c[2]) <= r ? 1 : 0;
      }
    }
  }
  return v;
}

function labelledVolumeMm3(v: Volume): number {
  let n = 0;
  for (const x of v.data as Uint8Array) if (x) n++;
  return n * v.spacing[0] * v.spacing[1] * v.spacing[2];
}

describe("resample", () => {
  test("shapeForSpacing() rounds shape·spacing/target like nnU-Net", () => {
    assert.deepEqual(shapeForSpacing([100, 50, 7], [0.7, 1, 5], [1, 1, 1]), [70, 50, 35]);
    assert.deepEqual(shapeForSpacing([3, 3, 3], [1, 1, 1], [10, 10, 10]), [1, 1, 1]);
    assert.throws(() => shapeForSpacing([3, 3, 3], [1, 1, 1], [0, 1, 1]), /target spacing/);
  });

  test("resampleToSpacing() interpolates a linear function exactly inside the grid (edges grid)", () => {
    const v = analytic([12, 9, 6], [0.8, 1.1, 2.5]);
    const r = resampleToSpacing(v, [0.5, 0.7, 1.3]);
    assert.deepEqual(r.shape, shapeForSpacing(v.shape, v.spacing, [0.5, 0.7, 1.3]));
    assert.equal(r.dtype, "float32");
    let checked = 0;
    for (let k = 0; k < r.shape[2]; k++) {
      for (let j = 0; j < r.shape[1]; j++) {
        for (let i = 0; i < r.shape[0]; i++) {
          const src = v.worldToVoxel(r.voxelToWorld([i, j, k]));
          if (src.some((x, a) => x < 0 || x > v.shape[a]! - 1)) continue; // clamped border
          assert.ok(Math.abs(Number(r.get(i, j, k)) - f(r.voxelToWorld([i, j, k]))) < 1e-3);
          checked++;
        }
      }
    }
    assert.ok(checked > 0.6 * r.voxelCount);
  });

  test("the edges grid keeps the world extent; resampling back restores the original grid", () => {
    const v = analytic([12, 9, 6], [0.8, 1.1, 2.5]);
    const r = resampleToSpacing(v, [0.5, 0.7, 1.3]);
    const lo = (x: Volume) => applyAffine(x.affine, [-0.5, -0.5, -0.5]);
    const hi = (x: Volume) => applyAffine(x.affine, [x.shape[0] - 0.5, x.shape[1] - 0.5, x.shape[2] - 0.5]);
    assert.ok(maxAbsDiff([lo(r), hi(r)], [lo(v), hi(v)]) < 1e-9);
    const back = resampleToShape(r, v.shape);
    assert.ok(maxAbsDiff(back.affine, v.affine) < 1e-12);
    // Away from the border (where samples were clamped) the linear function survives both passes.
    for (let k = 1; k < v.shape[2] - 1; k++) {
      for (let j = 1; j < v.shape[1] - 1; j++) {
        for (let i = 1; i < v.shape[0] - 1; i++) assert.ok(Math.abs(Number(back.get(i, j, k)) - Number(v.get(i, j, k))) < 1e-3);
      }
    }
  });

  test("the origin grid keeps voxel (0,0,0) and the exact target spacing", () => {
    const v = analytic([10, 10, 4], [1, 1, 3]);
    const r = resampleToSpacing(v, [0.75, 0.75, 1.5], { grid: "origin" });
    assert.ok(maxAbsDiff([r.origin, r.spacing], [v.origin, [0.75, 0.75, 1.5]]) < 1e-12);
    assert.ok(maxAbsDiff(r.direction, v.direction) < 1e-12);
    assert.ok(Math.abs(Number(r.get(4, 4, 2)) - f(r.voxelToWorld([4, 4, 2]))) < 1e-3);
  });

  test("nearest keeps label values and dtype; integer downsampling picks the voxel containing each centre", () => {
    const lab = new Volume({ data: new Uint16Array(8 * 8 * 8).map((_, i) => i), dtype: "uint16", shape: [8, 8, 8] });
    const up = resampleToShape(lab, [16, 16, 16]);
    assert.equal(up.dtype, "uint16");
    assert.equal(up.get(3, 5, 9), lab.get(1, 2, 4)); // output centre (3.5/2 − 0.5 …) lies in input voxel (1,2,4)
    const down = resampleToShape(lab, [4, 4, 4], { interpolation: "nearest" });
    assert.equal(down.get(1, 2, 3), lab.get(3, 5, 7));
  });

  test("label-linear resampling preserves a sphere's volume within 3 %", () => {
    const s = sphere([40, 40, 16], [0.6, 0.6, 1.8], 8);
    const truth = (4 / 3) * Math.PI * 8 ** 3;
    for (const interpolation of ["label-linear", "nearest"] as const) {
      const r = resampleToSpacing(s, [1, 1, 1], { interpolation });
      assert.equal(r.dtype, "uint8");
      assert.ok(Math.abs(labelledVolumeMm3(r) / truth - 1) < 0.03, `${interpolation}: ${labelledVolumeMm3(r)} vs ${truth}`);
    }
  });

  test("resampling to the same shape is the identity", () => {
    const v = analytic([5, 4, 3], [1, 2, 3]);
    const r = resampleToShape(v, v.shape);
    assert.deepEqual(r.data, v.data);
    assert.ok(maxAbsDiff(r.affine, v.affine) < 1e-12);
  });

  test("multi-channel volumes are resampled per channel", () => {
    const v = new Volume({ data: new Float32Array(2 * 2 * 2 * 2).map((_, i) => (i < 8 ? 1 : 5)), shape: [2, 2, 2], channels: 2 });
    const r = resampleToShape(v, [3, 3, 3]);
    assert.equal(r.channels, 2);
    assert.equal(r.get(1, 1, 1, 0), 1);
    assert.equal(r.get(1, 1, 1, 1), 5);
  });

  test("unsupported inputs raise TypeError", () => {
    const rgb = new Volume({ data: new Uint8Array(24), dtype: "rgb24", shape: [2, 2, 2] });
    assert.throws(() => resampleToShape(rgb, [3, 3, 3]), TypeError);
    const big = new Volume({ data: new BigInt64Array(8), dtype: "int64", shape: [2, 2, 2] });
    assert.throws(() => resampleToShape(big, [3, 3, 3], { interpolation: "linear" }), TypeError);
    assert.equal(resampleToShape(big, [3, 3, 3]).dtype, "int64");
    assert.throws(() => resampleToShape(rgb, [0, 3, 3]), RangeError);
  });
});
