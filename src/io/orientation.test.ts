import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  applyAffine,
  composeAffine,
  mat3Mul,
  maxAbsDiff,
  toMat4,
  Volume,
  type Mat3,
  type Mat4,
  type Vec3,
} from "../volume/index.js";
import { runPython } from "./_internal/python-ref.js";
import { allAxcodes, axcodesOf, orientationFromAxcodes, reorient, toCanonical, undoReorient } from "./orientation.js";

const SHAPE = [2, 3, 4] as const;

/** A small rotation, so that tests exercise the closest-orthogonal step, not only exact axes. */
const TILT: Mat3 = (() => {
  const a = 0.08;
  const b = -0.05;
  const rz: Mat3 = [[Math.cos(a), -Math.sin(a), 0], [Math.sin(a), Math.cos(a), 0], [0, 0, 1]];
  const rx: Mat3 = [[1, 0, 0], [0, Math.cos(b), -Math.sin(b)], [0, Math.sin(b), Math.cos(b)]];
  return mat3Mul(rz, rx);
})();

/** An affine whose voxel axes run along `codes`, tilted slightly. */
function affineFor(codes: string, tilt = true): Mat4 {
  const o = orientationFromAxcodes(codes);
  const d = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  o.forEach((a, j) => (d[a.world]![j] = a.sign));
  const direction = tilt ? mat3Mul(TILT, d as unknown as Mat3) : (d as unknown as Mat3);
  return composeAffine({ spacing: [1.5, 2, 3], origin: [10, -20, 30], direction });
}

function indexVolume(affine: Mat4): Volume<"uint16"> {
  return new Volume({ data: new Uint16Array(24).map((_, i) => i), dtype: "uint16", shape: SHAPE, affine });
}

/** Voxels as plain numbers (the tests use non-BigInt dtypes only). */
function values(a: ArrayLike<number | bigint>): number[] {
  return Array.from(a, Number);
}

/** World position of every voxel value (values are unique indices). */
function worldByValue(v: Volume): Map<number, Vec3> {
  const m = new Map<number, Vec3>();
  for (let k = 0; k < v.shape[2]; k++) {
    for (let j = 0; j < v.shape[1]; j++) {
      for (let i = 0; i < v.shape[0]; i++) m.set(Number(v.get(i, j, k)), v.voxelToWorld([i, j, k]));
    }
  }
  return m;
}

describe("orientation", () => {
  test("allAxcodes() lists 48 distinct valid codes", () => {
    const codes = allAxcodes();
    assert.equal(new Set(codes).size, 48);
    for (const c of codes) orientationFromAxcodes(c);
  });

  test("orientationFromAxcodes() rejects repeated or unknown letters", () => {
    for (const bad of ["RRS", "RLS", "RA", "XYZ", "RASI", ""]) assert.throws(() => orientationFromAxcodes(bad), TypeError, bad);
    assert.equal(orientationFromAxcodes("lpi")[0].sign, -1);
  });

  test("toCanonical() gives RAS for all 48 codes, keeps every voxel's world position, and undoes exactly", () => {
    for (const codes of allAxcodes()) {
      const v = indexVolume(affineFor(codes));
      assert.equal(axcodesOf(v.affine), codes);
      const { volume: ras, record } = toCanonical(v);
      assert.equal(axcodesOf(ras.affine), "RAS", codes);
      assert.equal(record.original, codes);
      const before = worldByValue(v);
      const after = worldByValue(ras);
      for (const [value, p] of before) assert.ok(maxAbsDiff([after.get(value)!], [p]) < 1e-9, `${codes} value ${value}`);
      const back = undoReorient(ras, record);
      assert.deepEqual(back.shape, v.shape);
      assert.deepEqual(values(back.data), values(v.data), codes);
      assert.strictEqual(back.affine, v.affine);
    }
  });

  test("reorient() round-trips between every pair of the 48 codes", () => {
    const codes = allAxcodes();
    for (const from of codes) {
      const v = indexVolume(affineFor(from, false));
      for (const to of codes) {
        const { volume: r, record } = reorient(v, to);
        assert.equal(axcodesOf(r.affine), to);
        const back = undoReorient(r, record);
        assert.deepEqual(values(back.data), values(v.data), `${from}->${to}`);
      }
    }
  });

  test("reorient() moves channels and RGB components with their voxel", () => {
    const rgb = new Volume({ data: new Uint8Array(24 * 3 * 2).map((_, i) => i % 251), dtype: "rgb24", shape: SHAPE, channels: 2, affine: affineFor("PIL") });
    const { volume: ras, record } = toCanonical(rgb);
    const [i, j, k] = [1, 2, 3];
    // voxel (i,j,k) of PIL lands at the RAS voxel with the same world position
    const w = rgb.voxelToWorld([i, j, k]);
    const [a, b, c] = ras.worldToVoxel(w).map(Math.round) as [number, number, number];
    for (let ch = 0; ch < 2; ch++) {
      const s = rgb.offset(i, j, k, ch);
      const d = ras.offset(a, b, c, ch);
      assert.deepEqual(values(ras.data.subarray(d, d + 3)), values(rgb.data.subarray(s, s + 3)));
    }
    assert.deepEqual(values(undoReorient(ras, record).data), values(rgb.data));
  });

  test("reorient() returns the input untouched when it is already in the target orientation", () => {
    const v = indexVolume(affineFor("RAS"));
    assert.strictEqual(toCanonical(v).volume, v);
  });

  test("undoReorient() refuses a volume in another geometry", () => {
    const { volume: ras, record } = toCanonical(indexVolume(affineFor("LPS")));
    assert.throws(() => undoReorient(new Volume({ data: new Uint8Array(24), shape: [4, 3, 2], affine: ras.affine }), record), /shape must be/);
    const moved = ras.withAffine(toMat4(ras.affine.map((r, i) => r.map((x, j) => (i === 0 && j === 3 ? x + 1 : x)))));
    assert.throws(() => undoReorient(moved, record), /affine differs/);
  });

  test("axcodesOf() and toCanonical() agree with nibabel aff2axcodes and as_closest_canonical", () => {
    const c = Math.cos(0.5);
    const s = Math.sin(0.5);
    const affines: Mat4[] = [
      affineFor("LPS", false),
      affineFor("PSR"),
      affineFor("ILA"),
      affineFor("RAS"),
      // 29° oblique about z, then a sheared sform: the closest-orthogonal step decides these
      toMat4([[c * 2, -s * 2, 0, 1], [s * 2, c * 2, 0, 2], [0, 0, -3, 3], [0, 0, 0, 1]]),
      toMat4([[0.2, 1.1, 0.3, 0], [-0.9, 0.4, 0, 0], [0.1, 0, 2.5, 0], [0, 0, 0, 1]]),
      toMat4([[-2.338, 0, 0, -0.584], [0, -2.338, 0, -0.584], [0, 0, 3, 0], [0, 0, 0, 1]]),
    ];
    const ref = runPython<{ codes: string; affine: number[][]; data: number[] }[]>(
      `import sys, json, numpy as np, nibabel as nib
out = []
for aff in json.load(sys.stdin):
    aff = np.array(aff)
    img = nib.Nifti1Image(np.arange(24, dtype=np.uint16).reshape((2, 3, 4), order='F'), aff)
    can = nib.as_closest_canonical(img)
    out.append(dict(codes=''.join(nib.aff2axcodes(aff)), affine=can.affine.tolist(), data=np.asanyarray(can.dataobj).ravel(order='F').tolist()))
print(json.dumps(out))`,
      [],
      JSON.stringify(affines),
    );
    affines.forEach((aff, n) => {
      const r = ref[n]!;
      assert.equal(axcodesOf(aff), r.codes, `case ${n}`);
      const { volume } = toCanonical(indexVolume(aff));
      assert.ok(maxAbsDiff(volume.affine, r.affine) < 1e-6, `case ${n}: ${JSON.stringify(volume.affine)} vs ${JSON.stringify(r.affine)}`);
      assert.deepEqual(values(volume.data), r.data, `case ${n}`);
    });
  });

  test("voxel (0,0,0) of a flipped axis maps to the far corner after reorientation", () => {
    const v = indexVolume(affineFor("LAS", false));
    const { volume } = toCanonical(v);
    assert.equal(volume.get(1, 0, 0), v.get(0, 0, 0));
    assert.deepEqual(applyAffine(volume.affine, [1, 0, 0]), v.voxelToWorld([0, 0, 0]));
  });
});
