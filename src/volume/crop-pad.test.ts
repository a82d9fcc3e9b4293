import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { composeAffine, maxAbsDiff } from "./affine.js";
import { crop, nonzeroBBox, pad, padToShape } from "./crop-pad.js";
import { Volume } from "./volume.js";

const AFFINE = composeAffine({ spacing: [0.5, 1, 2], origin: [3, -4, 5], direction: [[0, 1, 0], [-1, 0, 0], [0, 0, 1]] });

function box(): Volume<"int16"> {
  // 6×5×4 zeros with a block of values at i 2..3, j 1..3, k 2
  const v = new Volume({ data: new Int16Array(6 * 5 * 4), dtype: "int16", shape: [6, 5, 4], affine: AFFINE });
  for (let j = 1; j <= 3; j++) for (let i = 2; i <= 3; i++) v.data[v.offset(i, j, 2)] = 10 * i + j;
  return v;
}

describe("crop and pad", () => {
  test("nonzeroBBox() finds the non-zero block, with and without margin", () => {
    assert.deepEqual(nonzeroBBox(box()), { start: [2, 1, 2], end: [4, 4, 3] });
    assert.deepEqual(nonzeroBBox(box(), 2), { start: [0, 0, 0], end: [6, 5, 4] });
    assert.equal(nonzeroBBox(new Volume({ data: new Uint8Array(8), shape: [2, 2, 2] })), undefined);
  });

  test("nonzeroBBox() counts NaN and any channel as foreground", () => {
    const v = new Volume({ data: new Float32Array(16), shape: [2, 2, 2], channels: 2 });
    v.data[8 + 7] = NaN;
    assert.deepEqual(nonzeroBBox(v), { start: [1, 1, 1], end: [2, 2, 2] });
  });

  test("crop() keeps each voxel at its world position", () => {
    const v = box();
    const c = crop(v, nonzeroBBox(v)!);
    assert.deepEqual(c.shape, [2, 3, 1]);
    assert.equal(c.get(0, 0, 0), 21);
    assert.equal(c.get(1, 2, 0), 33);
    assert.ok(maxAbsDiff([c.voxelToWorld([1, 2, 0])], [v.voxelToWorld([3, 3, 2])]) < 1e-12);
  });

  test("pad() then crop() is the identity, and pad() fills with the value", () => {
    const v = box();
    const p = pad(v, [1, 2, 3], [0, 1, 2], -7);
    assert.deepEqual(p.shape, [7, 8, 9]);
    assert.equal(p.get(0, 0, 0), -7);
    assert.ok(maxAbsDiff([p.voxelToWorld([1, 2, 3])], [v.voxelToWorld([0, 0, 0])]) < 1e-12);
    const back = crop(p, { start: [1, 2, 3], end: [7, 7, 7] });
    assert.deepEqual(back.data, v.data);
    assert.ok(maxAbsDiff(back.affine, v.affine) < 1e-12);
  });

  test("padToShape() pads symmetrically with the odd voxel after", () => {
    const { volume, before } = padToShape(box(), [9, 5, 3]);
    assert.deepEqual(volume.shape, [9, 5, 4]);
    assert.deepEqual(before, [1, 0, 0]);
  });

  test("crop() and pad() work on BigInt and RGB data", () => {
    const big = new Volume({ data: new BigInt64Array(8).map((_, i) => BigInt(i)), dtype: "int64", shape: [2, 2, 2] });
    assert.equal(pad(big, [1, 0, 0], [0, 0, 0], 9n).get(0, 0, 0), 9n);
    const rgb = new Volume({ data: new Uint8Array(24).map((_, i) => i), dtype: "rgb24", shape: [2, 2, 2] });
    const c = crop(rgb, { start: [1, 1, 1], end: [2, 2, 2] });
    assert.deepEqual(Array.from(c.data), [21, 22, 23]);
  });

  test("crop() refuses boxes outside the grid or empty", () => {
    assert.throws(() => crop(box(), { start: [0, 0, 0], end: [7, 1, 1] }), /bbox must satisfy/);
    assert.throws(() => crop(box(), { start: [2, 0, 0], end: [2, 1, 1] }), RangeError);
    assert.throws(() => pad(box(), [-1, 0, 0], [0, 0, 0]), RangeError);
  });
});
