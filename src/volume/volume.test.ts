import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { maxAbsDiff } from "./affine.js";
import { allocVoxels, labelDType, VOXEL_DTYPES, dtypeInfo } from "./dtype.js";
import { asLabelVolume } from "./labels.js";
import { Volume } from "./volume.js";

describe("Volume", () => {
  test("Volume.fromGeometry() maps voxel centres to world mm and back", () => {
    const v = Volume.fromGeometry({
      data: new Float32Array(2 * 3 * 4),
      shape: [2, 3, 4],
      spacing: [0.5, 2, 3],
      origin: [10, -20, 30],
      direction: [
        [-1, 0, 0],
        [0, -1, 0],
        [0, 0, 1],
      ],
    });
    assert.deepEqual(v.voxelToWorld([0, 0, 0]), [10, -20, 30]);
    assert.deepEqual(v.voxelToWorld([1, 2, 3]), [9.5, -24, 39]);
    assert.ok(maxAbsDiff([v.worldToVoxel([9.5, -24, 39])], [[1, 2, 3]]) < 1e-12);
    assert.deepEqual(v.spacing, [0.5, 2, 3]);
    assert.equal(v.voxelCount, 24);
  });

  test("Volume indexes x fastest, then y, z, channel (NIfTI order)", () => {
    const data = new Uint16Array(2 * 3 * 4 * 2).map((_, i) => i);
    const v = new Volume({ data, shape: [2, 3, 4], channels: 2 });
    assert.equal(v.get(1, 0, 0), 1);
    assert.equal(v.get(0, 1, 0), 2);
    assert.equal(v.get(0, 0, 1), 6);
    assert.equal(v.get(0, 0, 0, 1), 24);
    assert.throws(() => v.get(2, 0, 0), RangeError);
    assert.throws(() => v.get(0, 0, 0, 2), RangeError);
  });

  test("new Volume() rejects a data length that does not match shape, channels and components", () => {
    assert.throws(() => new Volume({ data: new Uint8Array(7), shape: [2, 2, 2] }), /data length must be 8/);
    assert.throws(() => new Volume({ data: new Uint8Array(8), dtype: "rgb24", shape: [2, 2, 2] }), /data length must be 24/);
    assert.throws(() => new Volume({ data: new Uint8Array(8), shape: [2, 0, 4] }), /positive integers/);
    assert.throws(() => new Volume({ data: new Uint8Array(8) as unknown as Int16Array, dtype: "int16", shape: [2, 2, 2] }), TypeError);
  });

  test("Volume.withData() keeps the geometry and infers channels", () => {
    const img = new Volume({ data: new Float32Array(8 * 2), shape: [2, 2, 2], channels: 2 });
    const lab = img.withData(new Uint8Array(8));
    assert.equal(lab.channels, 1);
    assert.equal(lab.dtype, "uint8");
    assert.deepEqual(lab.affine, img.affine);
    assert.throws(() => img.withData(new Uint8Array(7)), /data length/);
  });

  test("allocVoxels() sizes every dtype by its components", () => {
    for (const d of VOXEL_DTYPES) {
      const a = allocVoxels(d, 5);
      assert.equal(a.length, 5 * dtypeInfo(d).components, d);
      assert.equal(a.byteLength, 5 * dtypeInfo(d).components * dtypeInfo(d).scalarBytes, d);
    }
  });

  test("labelDType() stays compact: uint8 up to 255, uint16 up to 65535", () => {
    assert.equal(labelDType(13), "uint8");
    assert.equal(labelDType(300), "uint16");
    assert.throws(() => labelDType(70000), RangeError);
    assert.throws(() => labelDType(1.5), RangeError);
  });

  test("asLabelVolume() stores labels compactly and refuses non-integers", () => {
    const f = new Volume({ data: Float32Array.of(0, 1, 2, 13, 0, 0, 1, 1), shape: [2, 2, 2] });
    const l = asLabelVolume(f);
    assert.equal(l.dtype, "uint8");
    assert.deepEqual(Array.from(l.data), [0, 1, 2, 13, 0, 0, 1, 1]);
    assert.deepEqual(l.affine, f.affine);
    assert.equal(asLabelVolume(new Volume({ data: Int16Array.of(0, 300, 0, 0, 0, 0, 0, 0), shape: [2, 2, 2] })).dtype, "uint16");
    assert.strictEqual(asLabelVolume(l), l);
    assert.throws(() => asLabelVolume(new Volume({ data: Float32Array.of(0, 0.5, 0, 0, 0, 0, 0, 0), shape: [2, 2, 2] })), /Received: 0.5 at index 1/);
    assert.throws(() => asLabelVolume(new Volume({ data: Int16Array.of(0, -1, 0, 0, 0, 0, 0, 0), shape: [2, 2, 2] })), RangeError);
  });
});
