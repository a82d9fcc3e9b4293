import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runPython } from "../io/_internal/python-ref.js";
import { foregroundIntensityStats, intensityStats, normalizeIntensity, percentileSorted } from "./normalize.js";
import { Volume } from "./volume.js";

function ramp(n: number, f: (i: number) => number): Volume<"float32"> {
  return new Volume({ data: Float32Array.from({ length: n }, (_, i) => f(i)), dtype: "float32", shape: [n, 1, 1] });
}

describe("intensity normalisation", () => {
  test("intensityStats() matches numpy (mean, std, percentiles with linear interpolation)", () => {
    const values = Array.from({ length: 1001 }, (_, i) => Math.sin(i * 1.7) * 300 + i * 0.25);
    const ref = runPython<number[]>(
      `import sys, json, numpy as np
a = np.array(json.load(sys.stdin))
print(json.dumps([a.mean(), a.std(), np.percentile(a, 0.5), np.percentile(a, 99.5), np.median(a)]))`,
      [],
      JSON.stringify(values),
    );
    const s = intensityStats(values);
    const got = [s.mean, s.std, s.percentile00_5, s.percentile99_5, s.median];
    got.forEach((g, i) => assert.ok(Math.abs(g - ref[i]!) < 1e-9 * Math.max(1, Math.abs(ref[i]!)), `${i}: ${g} vs ${ref[i]}`));
  });

  test("intensityStats() skips NaN and Inf", () => {
    const s = intensityStats([1, 2, NaN, 3, Infinity]);
    assert.equal(s.count, 3);
    assert.equal(s.mean, 2);
  });

  test("percentileSorted() interpolates between ranks", () => {
    assert.equal(percentileSorted(Float64Array.of(0, 10), 25), 2.5);
    assert.ok(Number.isNaN(percentileSorted(new Float64Array(0), 50)));
  });

  test("ct: clips to the foreground percentiles then z-scores with foreground stats", () => {
    const img = ramp(200, (i) => i);
    const lab = new Volume({ data: Uint8Array.from({ length: 200 }, (_, i) => (i >= 50 && i < 150 ? 1 : 0)), dtype: "uint8", shape: [200, 1, 1] });
    const stats = foregroundIntensityStats([img], [lab]);
    assert.equal(stats.count, 100);
    assert.equal(stats.mean, 99.5);
    assert.ok(Math.abs(stats.percentile00_5 - 50.495) < 1e-9);
    const out = normalizeIntensity(img, { kind: "ct", stats });
    assert.equal(out.dtype, "float32");
    const lo = (stats.percentile00_5 - stats.mean) / stats.std;
    assert.ok(Math.abs(out.data[0]! - lo) < 1e-5); // clipped from below
    assert.ok(Math.abs(out.data[199]! - (stats.percentile99_5 - stats.mean) / stats.std) < 1e-5);
    assert.ok(Math.abs(out.data[100]! - (100 - 99.5) / stats.std) < 1e-5);
  });

  test("foregroundIntensityStats() subsamples deterministically per case", () => {
    const img = ramp(1000, (i) => i);
    const lab = new Volume({ data: new Uint8Array(1000).fill(1), dtype: "uint8", shape: [1000, 1, 1] });
    const a = foregroundIntensityStats([img, img], [lab, lab], { samplesPerCase: 100, seed: 7 });
    const b = foregroundIntensityStats([img, img], [lab, lab], { samplesPerCase: 100, seed: 7 });
    assert.equal(a.count, 200);
    assert.deepEqual(a, b);
    assert.throws(() => foregroundIntensityStats([img], [ramp(3, () => 1)]), /differs from label shape/);
  });

  test("zscore: zero mean and unit std, per channel; with a mask, outside voxels become 0", () => {
    const v = new Volume({ data: Float32Array.from({ length: 16 }, (_, i) => (i < 8 ? i : 100 + 3 * i)), shape: [2, 2, 2], channels: 2 });
    const out = normalizeIntensity(v, { kind: "zscore" });
    for (const c of [0, 1]) {
      const s = intensityStats(out.data.subarray(c * 8, c * 8 + 8));
      assert.ok(Math.abs(s.mean) < 1e-6 && Math.abs(s.std - 1) < 1e-6);
    }
    const mask = Uint8Array.of(0, 1, 1, 1, 1, 1, 1, 0);
    const m = normalizeIntensity(v, { kind: "zscore", mask });
    assert.equal(m.data[0], 0);
    assert.equal(m.data[7], 0);
    const inside = intensityStats(Array.from(m.data.subarray(1, 7)));
    assert.ok(Math.abs(inside.mean) < 1e-6);
  });

  test("none: casts to float32 unchanged; a constant image does not divide by zero", () => {
    const v = new Volume({ data: Int16Array.of(-3, 0, 5, 7, 1, 1, 1, 1), dtype: "int16", shape: [2, 2, 2] });
    assert.deepEqual(Array.from(normalizeIntensity(v, { kind: "none" }).data), [-3, 0, 5, 7, 1, 1, 1, 1]);
    const flat = normalizeIntensity(ramp(4, () => 5), { kind: "zscore" });
    assert.deepEqual(Array.from(flat.data), [0, 0, 0, 0]);
  });
});
