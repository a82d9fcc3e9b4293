import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  IDENTITY4,
  applyAffine,
  closestOrthogonal,
  composeAffine,
  decomposeAffine,
  invertAffine,
  isOrthonormal,
  mat3Det,
  mat3Inv,
  mat3Mul,
  mat4Mul,
  maxAbsDiff,
  orthonormalityError,
  toMat4,
  type Mat3,
  type Mat4,
} from "./affine.js";

/** Rotation about z then x, angles in radians. */
function rotation(az: number, ax: number): Mat3 {
  const rz: Mat3 = [
    [Math.cos(az), -Math.sin(az), 0],
    [Math.sin(az), Math.cos(az), 0],
    [0, 0, 1],
  ];
  const rx: Mat3 = [
    [1, 0, 0],
    [0, Math.cos(ax), -Math.sin(ax)],
    [0, Math.sin(ax), Math.cos(ax)],
  ];
  return mat3Mul(rz, rx);
}

describe("affine", () => {
  test("composeAffine() and decomposeAffine() invert each other for rotations and reflections", () => {
    for (const [az, ax, flip] of [[0, 0, 1], [0.3, -1.2, 1], [2.5, 0.7, -1]] as const) {
      const r = rotation(az, ax);
      const direction: Mat3 = [
        [r[0][0], r[0][1], r[0][2] * flip],
        [r[1][0], r[1][1], r[1][2] * flip],
        [r[2][0], r[2][1], r[2][2] * flip],
      ];
      const g = { spacing: [0.8, 1.25, 3] as const, origin: [-10, 20.5, 3] as const, direction };
      const back = decomposeAffine(composeAffine(g));
      assert.ok(maxAbsDiff([back.spacing], [g.spacing]) < 1e-12);
      assert.ok(maxAbsDiff([back.origin], [g.origin]) < 1e-12);
      assert.ok(maxAbsDiff(back.direction, direction) < 1e-12);
      assert.ok(isOrthonormal(back.direction));
    }
  });

  test("invertAffine() gives the identity when multiplied back", () => {
    const a = composeAffine({ spacing: [2, 3, 4], origin: [1, -2, 3], direction: rotation(0.4, 0.9) });
    assert.ok(maxAbsDiff(mat4Mul(a, invertAffine(a)), IDENTITY4) < 1e-12);
    const p = [3, -7, 11] as const;
    assert.ok(maxAbsDiff([applyAffine(invertAffine(a), applyAffine(a, p))], [p]) < 1e-12);
  });

  test("invertAffine() throws RangeError for a singular affine", () => {
    const a = toMat4([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    assert.throws(() => invertAffine(a), RangeError);
    assert.throws(() => mat3Inv([[1, 2, 3], [2, 4, 6], [0, 0, 1]]), /singular/);
  });

  test("assertAffine() rejects a bad last row and non-finite entries", () => {
    const bad = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]] as unknown as Mat4;
    assert.throws(() => invertAffine(bad), /last row/);
    assert.throws(() => toMat4([NaN, ...Array(15).fill(0)]), RangeError);
  });

  test("decomposeAffine() keeps shear visible as a non-orthonormal direction", () => {
    const sheared = toMat4([1, 0.5, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const g = decomposeAffine(sheared);
    assert.ok(!isOrthonormal(g.direction));
    assert.ok(orthonormalityError(g.direction) > 0.1);
  });

  test("composeAffine() refuses non-positive spacing", () => {
    assert.throws(() => composeAffine({ spacing: [1, 0, 1], origin: [0, 0, 0], direction: rotation(0, 0) }), /spacing/);
  });

  test("closestOrthogonal() recovers the rotation of a perturbed matrix and keeps its handedness", () => {
    const r = rotation(1.1, -0.4);
    const noisy = r.map((row) => row.map((v) => v + 0.01 * Math.sin(v * 13))) as unknown as Mat3;
    const q = closestOrthogonal(noisy);
    assert.ok(orthonormalityError(q) < 1e-12);
    assert.ok(maxAbsDiff(q, r) < 0.05);
    const reflected: Mat3 = [[-1, 0.01, 0], [0, 1, 0], [0, 0, 1]];
    assert.ok(mat3Det(closestOrthogonal(reflected)) < 0);
  });
});
