import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import { runPython } from "../io/_internal/python-ref.js";
import { composeAffine, IDENTITY3, maxAbsDiff, type Vec3 } from "./affine.js";
import { resampleToShape, resampleToSpacing } from "./resample.js";
import { Volume, type Shape3 } from "./volume.js";

// scipy.ndimage reference: cubic B-spline (order=3) with the edge-repeating boundary mode="nearest".
// "zoom" uses grid_mode=True (the "edges" grid); "map" samples at in = scale·out + offset per axis.
const SCIPY = `
import sys, json, numpy as np
from scipy import ndimage as ndi
q = json.load(sys.stdin)
nx, ny, nz = q["shape"]; ch = q["channels"]; out = []
data = np.asarray(q["data"], dtype=np.float64).reshape(ch, nx * ny * nz)
for c in range(ch):
    a = data[c].reshape((nx, ny, nz), order="F")
    if q["how"] == "zoom":
        z = [o / i for o, i in zip(q["outShape"], q["shape"])]
        r = ndi.zoom(a, z, order=3, mode="nearest", grid_mode=True)
        assert list(r.shape) == q["outShape"], r.shape
    else:
        axes = [s * np.arange(n) + off for s, off, n in zip(q["scale"], q["offset"], q["outShape"])]
        grid = np.meshgrid(*axes, indexing="ij")
        r = ndi.map_coordinates(a, grid, order=3, mode="nearest")
    out.extend(r.ravel(order="F").tolist())
print(json.dumps(out))
`;

interface Ref {
  how: "zoom" | "map";
  outShape: Shape3;
  scale?: number[];
  offset?: number[];
}

function scipyResample(v: Volume, ref: Ref): number[] {
  const q = { shape: v.shape, channels: v.channels, data: Array.from(v.data as Float32Array), ...ref };
  return runPython<number[]>(SCIPY, [], JSON.stringify(q));
}

/** max |a − b| divided by the value range of b. */
function relMaxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0, lo = Infinity, hi = -Infinity;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    lo = Math.min(lo, b[i]!);
    hi = Math.max(hi, b[i]!);
  }
  return d / (hi - lo || 1);
}

function volumeOf(shape: Shape3, spacing: Vec3, fn: (i: number, j: number, k: number, c: number) => number, channels = 1): Volume<"float32"> {
  const affine = composeAffine({ spacing, origin: [-30, 12, 7], direction: [[0, 1, 0], [-1, 0, 0], [0, 0, 1]] });
  const v = new Volume({ data: new Float32Array(shape[0] * shape[1] * shape[2] * channels), dtype: "float32", shape, channels, affine });
  for (let c = 0; c < channels; c++) {
    for (let k = 0; k < shape[2]; k++) {
      for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) v.data[v.offset(i, j, k, c)] = fn(i, j, k, c);
    }
  }
  return v;
}

/** Smooth analytic test function of voxel coordinates. */
const smooth = (i: number, j: number, k: number) => 40 * Math.sin(0.31 * i + 0.2) * Math.cos(0.23 * j) + 15 * Math.exp(-((k - 5) ** 2) / 30) + 100;

/** Deterministic uniform [−50, 50) noise (LCG), independent of Math.random. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 100 - 50;
  };
}

describe("resample: cubic B-spline", () => {
  test("matches scipy.ndimage.zoom(order=3, mode='nearest', grid_mode=True) on a smooth volume, up and down", (t: TestContext) => {
    const v = volumeOf([20, 16, 12], [0.8, 1.2, 3], smooth);
    for (const target of [[31, 9, 17], [10, 33, 12], [7, 16, 25]] as Shape3[]) {
      const r = resampleToShape(v, target, { interpolation: "bspline" });
      assert.equal(r.dtype, "float32");
      assert.deepEqual(r.shape, target);
      const d = relMaxDiff(r.data as Float32Array, scipyResample(v, { how: "zoom", outShape: target }));
      t.diagnostic(`smooth [20,16,12] -> [${target.join(",")}]: max |diff| / range = ${d.toExponential(2)}`);
      assert.ok(d <= 1e-4, `${d}`);
    }
  });

  test("matches scipy on random data: edges grid (zoom) and origin grid (map_coordinates, samples beyond the border)", (t: TestContext) => {
    const rnd = noise(7);
    const v = volumeOf([17, 13, 9], [1, 0.7, 2.5], () => rnd());
    const edges = resampleToSpacing(v, [0.6, 1.1, 1.3], { interpolation: "bspline" });
    const dz = relMaxDiff(edges.data as Float32Array, scipyResample(v, { how: "zoom", outShape: edges.shape }));
    const target: Vec3 = [0.45, 1.6, 2.6];
    const origin = resampleToSpacing(v, target, { interpolation: "bspline", grid: "origin" });
    const scale = [0, 1, 2].map((a) => target[a]! / v.spacing[a]!);
    // The last output voxel along x and z lies beyond the last input centre: edge-extended spline there.
    assert.ok(scale[0]! * (origin.shape[0] - 1) > v.shape[0] - 1 && scale[2]! * (origin.shape[2] - 1) > v.shape[2] - 1);
    const dm = relMaxDiff(origin.data as Float32Array, scipyResample(v, { how: "map", outShape: origin.shape, scale, offset: [0, 0, 0] }));
    t.diagnostic(`random [17,13,9]: edges grid -> [${edges.shape.join(",")}] ${dz.toExponential(2)}; origin grid -> [${origin.shape.join(",")}] ${dm.toExponential(2)}`);
    assert.ok(dz <= 1e-4 && dm <= 1e-4, `${dz} ${dm}`);
    assert.ok(maxAbsDiff([origin.spacing], [target]) < 1e-12);
  });

  test("multi-channel volumes are resampled per channel, each matching scipy", (t: TestContext) => {
    const rnd = noise(11);
    const v = volumeOf([9, 11, 6], [1, 1, 1], (i, j, k, c) => (c === 0 ? smooth(i, j, k) : rnd()), 2);
    const r = resampleToShape(v, [14, 7, 10], { interpolation: "bspline" });
    assert.equal(r.channels, 2);
    const ref = scipyResample(v, { how: "zoom", outShape: [14, 7, 10] });
    const n = r.voxelCount;
    const d = [0, 1].map((c) => relMaxDiff((r.data as Float32Array).subarray(c * n, (c + 1) * n), ref.slice(c * n, (c + 1) * n)));
    t.diagnostic(`2 channels [9,11,6] -> [14,7,10]: ${d.map((x) => x.toExponential(2)).join(", ")}`);
    assert.ok(d.every((x) => x <= 1e-4), `${d}`);
  });

  test("a constant volume stays constant (also integer input, single-voxel axes and samples beyond the border)", () => {
    for (const [value, dtype] of [[-123.456, "float32"], [200, "uint8"], [7.25, "float64"]] as const) {
      for (const [shape, to] of [[[6, 5, 4], [13, 2, 9]], [[1, 5, 1], [3, 8, 2]]] as [Shape3, Shape3][]) {
        const n = shape[0] * shape[1] * shape[2];
        const data = dtype === "uint8" ? new Uint8Array(n).fill(value) : dtype === "float64" ? new Float64Array(n).fill(value) : new Float32Array(n).fill(value);
        const v = new Volume({ data: data as never, dtype, shape, affine: composeAffine({ spacing: [1, 1, 1], origin: [0, 0, 0], direction: IDENTITY3 }) });
        const rs = [resampleToShape(v, to, { interpolation: "bspline" }), resampleToSpacing(v, [0.7, 2.6, 3.1], { interpolation: "bspline", grid: "origin" })];
        for (const r of rs) {
          assert.equal(r.dtype, dtype === "float64" ? "float64" : "float32");
          const tol = Math.abs(value) * (dtype === "float64" ? 1e-12 : 1e-6);
          for (const x of r.data as Float32Array) assert.ok(Math.abs(x - Math.fround(value)) <= tol, `${dtype} ${x} vs ${value}`);
        }
      }
    }
  });

  test("interpolates: resampling to the same shape returns the samples", () => {
    const rnd = noise(3);
    const v = volumeOf([8, 7, 5], [1, 2, 3], () => rnd());
    const r = resampleToShape(v, v.shape, { interpolation: "bspline" });
    assert.ok(maxAbsDiff([Array.from(r.data as Float32Array)], [Array.from(v.data)]) < 1e-4);
    assert.ok(maxAbsDiff(r.affine, v.affine) < 1e-12);
  });

  test("downsample then upsample of a smooth function is more accurate than trilinear", (t: TestContext) => {
    const f = (i: number, j: number, k: number) => Math.sin(0.25 * i) * Math.cos(0.2 * j) + 0.5 * Math.sin(0.15 * k + 1);
    const v = volumeOf([48, 40, 32], [1, 1, 1], f);
    const rms = (interpolation: "linear" | "bspline") => {
      const back = resampleToShape(resampleToShape(v, [24, 20, 16], { interpolation }), v.shape, { interpolation });
      let s = 0, n = 0;
      for (let k = 3; k < 29; k++) {
        for (let j = 3; j < 37; j++) {
          for (let i = 3; i < 45; i++, n++) s += (Number(back.get(i, j, k)) - Number(v.get(i, j, k))) ** 2;
        }
      }
      return Math.sqrt(s / n);
    };
    const [lin, bs] = [rms("linear"), rms("bspline")];
    t.diagnostic(`2x down + up, interior RMS error: trilinear ${lin.toExponential(2)}, bspline ${bs.toExponential(2)}`);
    assert.ok(bs < 0.5 * lin, `${bs} vs ${lin}`);
  });

  test("128³ -> 1.5× resample takes < 5 s", (t: TestContext) => {
    const rnd = noise(5);
    const v = volumeOf([128, 128, 128], [1.5, 1.5, 1.5], (i, j, k) => smooth(i, j, k) + 0.1 * rnd());
    const t0 = performance.now();
    const r = resampleToSpacing(v, [1, 1, 1], { interpolation: "bspline" });
    const ms = performance.now() - t0;
    t.diagnostic(`128³ -> [${r.shape.join(",")}] bspline: ${ms.toFixed(0)} ms`);
    assert.deepEqual(r.shape, [192, 192, 192]);
    assert.ok(ms < 5000, `${ms} ms`);
  });

  test("bigint data and unknown modes are refused", () => {
    const big = new Volume({ data: new BigInt64Array(8), dtype: "int64", shape: [2, 2, 2] });
    assert.throws(() => resampleToShape(big, [3, 3, 3], { interpolation: "bspline" }), TypeError);
    const v = new Volume({ data: new Float32Array(8), shape: [2, 2, 2] });
    assert.throws(() => resampleToShape(v, [3, 3, 3], { interpolation: "cubic" as never }), /unknown interpolation/);
  });
});
