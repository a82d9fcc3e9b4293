import assert from "node:assert/strict";
import { test } from "node:test";
import { allAugmentations, sphereCase } from "../_testing/pipeline-fixtures.js";
import { Rng } from "../random/index.js";
import { buildSample, type SampleSlot } from "../sampling/index.js";
import {
  adjustContrast,
  applyGamma,
  addGaussianNoise,
  applyFlips,
  elasticField,
  flipOrientation,
  gaussianBlur,
  mirrorAxis,
  noAugmentation,
  rotate90,
  scaleBrightness,
  simulateLowResolution,
  type AugmentationConfig,
} from "./index.js";

const patch = [16, 16, 16] as const;
const P = 16 * 16 * 16;
function slot(): SampleSlot {
  return { image: new Float32Array(P), imageOffset: 0, label: new Uint8Array(P), labelOffset: 0, boxMask: null, boxOffset: 0, boxChannels: 0 };
}
function spatialOnly(): AugmentationConfig {
  const a = allAugmentations();
  const none = noAugmentation();
  return { ...a, noise: none.noise, blur: none.blur, brightness: none.brightness, contrast: none.contrast, lowResolution: none.lowResolution, gamma: none.gamma };
}
const stats = (x: Float32Array) => {
  let s = 0, min = Infinity, max = -Infinity;
  for (const v of x) {
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / x.length;
  let ss = 0;
  for (const v of x) ss += (v - mean) ** 2;
  return { mean, std: Math.sqrt(ss / x.length), min, max };
};

test("spatial augmentations keep labels aligned with the image and label values in the original set", () => {
  // The image equals the label map, so wherever the trilinear image is clearly inside an organ the
  // nearest-neighbour label must say the same organ.
  const pc = sphereCase("a", { shape: [24, 24, 24], radius: 6 });
  for (let seed = 0; seed < 20; seed++) {
    const s = slot();
    buildSample(pc, true, seed, { patchSize: patch, spacing: [1, 1, 1], augmentation: spatialOnly() }, s);
    let inside = 0, agree = 0;
    for (let i = 0; i < P; i++) {
      assert.ok([0, 1, 2].includes(s.label![i]!), `label value ${s.label![i]}`);
      if (Math.abs(s.image[i]! - 1) < 0.05) {
        inside++;
        if (s.label![i] === 1) agree++;
      }
    }
    assert.ok(inside > 50, `seed ${seed}: sphere in the patch (${inside})`);
    assert.ok(agree / inside > 0.97, `seed ${seed}: ${agree}/${inside} aligned`);
  }
});

test("intensity augmentations never touch the label map", () => {
  const pc = sphereCase("a", { shape: [24, 24, 24], radius: 6, image: "textured" });
  const a = slot(), b = slot();
  const intensityOnly = { ...allAugmentations(), rotation: { p: 0, degrees: [0, 0] as [number, number] }, scaling: { p: 0, range: [1, 1] as [number, number] }, elastic: { p: 0, magnitude: [0, 0] as [number, number], gridSpacing: 8 } };
  buildSample(pc, true, 3, { patchSize: patch, spacing: [1, 1, 1], augmentation: intensityOnly }, a);
  buildSample(pc, true, 3, { patchSize: patch, spacing: [1, 1, 1], augmentation: { ...intensityOnly, noise: { p: 0, variance: [0, 0] }, blur: { p: 0, sigma: [1, 1], pPerChannel: 0 }, gamma: { p: 0, pInverted: 0, range: [1, 1] } } }, b);
  assert.deepEqual(a.label, b.label);
  assert.notDeepEqual(a.image, b.image);
});

test("mirrorAxis() twice is the identity; rotate90() four times is; both keep image and label equal", () => {
  const pc = sphereCase("a", { shape: [16, 16, 16], centre: [4, 10, 7], radius: 3 });
  const img = Float32Array.from(pc.image);
  const lab = Uint8Array.from(pc.label!);
  for (let axis = 0; axis < 3; axis++) {
    mirrorAxis(img, 0, 1, patch, axis);
    mirrorAxis(lab, 0, 1, patch, axis);
    assert.deepEqual(Array.from(img), Array.from(lab));
  }
  rotate90(img, 0, 1, patch, [0, 1], 1);
  rotate90(lab, 0, 1, patch, [0, 1], 1);
  assert.deepEqual(Array.from(img), Array.from(lab));
  rotate90(img, 0, 1, patch, [0, 1], 3);
  for (let axis = 0; axis < 3; axis++) mirrorAxis(img, 0, 1, patch, axis);
  assert.deepEqual(Array.from(img), Array.from(pc.image));
  // One quarter turn in (x, y) of a 2x2x1 block: out(i, j) = in(j, 1 - i).
  const q = Float32Array.from([1, 2, 3, 4]);
  rotate90(q, 0, 1, [2, 2, 1], [0, 1], 1);
  assert.deepEqual(Array.from(q), [3, 1, 4, 2]);
});

test("brightness scales, contrast keeps the range, gamma keeps mean and std, noise has the requested sigma", () => {
  const rng = new Rng(4);
  const base = Float32Array.from({ length: 5000 }, () => rng.normal() * 2 + 1);
  const b = Float32Array.from(base);
  scaleBrightness(b, 1.2);
  assert.ok(Math.abs(stats(b).mean - 1.2 * stats(base).mean) < 1e-4);
  const c = Float32Array.from(base);
  adjustContrast(c, 1.25);
  assert.ok(stats(c).min >= stats(base).min - 1e-6 && stats(c).max <= stats(base).max + 1e-6);
  assert.ok(stats(c).std > stats(base).std);
  for (const invert of [false, true]) {
    const g = Float32Array.from(base);
    applyGamma(g, 1.4, invert);
    assert.ok(Math.abs(stats(g).mean - stats(base).mean) < 1e-3 && Math.abs(stats(g).std - stats(base).std) < 1e-3);
    assert.notDeepEqual(g, base);
  }
  const zeros = new Float32Array(20000);
  addGaussianNoise(zeros, 0.3, () => rng.normal());
  assert.ok(Math.abs(stats(zeros).std - 0.3) < 0.01);
});

test("gaussianBlur keeps constants and the mean, lowers variance; low-resolution simulation stays in range", () => {
  const cst = new Float32Array(P).fill(2.5);
  gaussianBlur(cst, patch, [1, 1, 1]);
  for (const v of cst) assert.ok(Math.abs(v - 2.5) < 1e-5);
  const rng = new Rng(2);
  const noisy = Float32Array.from({ length: P }, () => rng.normal());
  const before = stats(noisy);
  gaussianBlur(noisy, patch, [1, 0.7, 0.5]);
  assert.ok(stats(noisy).std < before.std / 2);
  const x = Float32Array.from({ length: P }, (_, i) => (i % 16) + rng.random());
  const r = stats(x);
  const same = Float32Array.from(x);
  simulateLowResolution(same, patch, 1);
  assert.deepEqual(same, x);
  simulateLowResolution(x, patch, 0.5);
  const s = stats(x);
  assert.ok(s.min >= r.min - 1e-5 && s.max <= r.max + 1e-5);
  assert.ok(Math.abs(s.mean - r.mean) < 0.5);
});

test("elasticField(): zero magnitude is no displacement; the field is smooth", () => {
  const zero = elasticField(patch, 8, 0, new Rng(1));
  assert.ok(zero.every((v) => v === 0));
  const f = elasticField(patch, 8, 2, new Rng(1));
  let maxStep = 0, maxAbs = 0;
  for (let i = 0; i < P - 1; i++) {
    if (i % 16 === 15) continue;
    maxStep = Math.max(maxStep, Math.abs(f[i + 1]! - f[i]!));
    maxAbs = Math.max(maxAbs, Math.abs(f[i]!));
  }
  assert.ok(maxAbs > 0.5 && maxStep < maxAbs / 2, `${maxStep} vs ${maxAbs}`);
});

test("flipOrientation() says where every voxel of a mirrored and quarter-turned patch came from", () => {
  // A coordinate-coded volume: voxel (x, y, z) holds its own index, so after the flips each voxel tells its source.
  const shape = [6, 6, 5] as const;
  const n = shape[0] * shape[1] * shape[2];
  const planes: [number, number][] = [[0, 1]]; // the only plane with equal edges
  let checked = 0;
  for (let m = 0; m < 8; m++) {
    for (const rot of [null, ...planes.flatMap((axes) => [1, 2, 3].map((k) => ({ axes, k })))]) {
      const f = { mirror: [Boolean(m & 1), Boolean(m & 2), Boolean(m & 4)] as const, rot90: rot };
      const v = new Float32Array(n).map((_, i) => i);
      applyFlips(v, 0, 1, shape, f);
      const o = flipOrientation(f);
      // Patch and case dims in (d, h, w) order; o maps patch axis a to case axis o.from[a].
      const dims = [shape[2], shape[1], shape[0]];
      for (let i = 0; i < n; i++) {
        const p = [Math.floor(i / (shape[0] * shape[1])), Math.floor(i / shape[0]) % shape[1], i % shape[0]]; // (d, h, w) in the patch
        const src = [0, 0, 0];
        for (let a = 0; a < 3; a++) {
          const c = o.from[a]!;
          assert.equal(dims[a], dims[c], "a turn only swaps axes of equal length");
          src[c] = o.reversed[a] ? dims[a]! - 1 - p[a]! : p[a]!;
        }
        assert.equal(v[i], src[2]! + shape[0] * (src[1]! + shape[1] * src[0]!), `mirror ${f.mirror} rot90 ${JSON.stringify(rot)} at patch (d, h, w) ${p}`);
      }
      checked++;
    }
  }
  assert.equal(checked, 32);
});
