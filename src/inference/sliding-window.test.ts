import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Generator, conv3d, expectNoLeak, memory, noGrad, resetPeakMemory, tensor, tidy, type Tensor } from "../tensor/index.js";
import { SegmentationNetwork, unetConfig } from "../nn/index.js";
import { gaussianWeights1d, importanceMap } from "./gaussian.js";
import { networkPredictor } from "./model.js";
import { slidingWindowLabels, slidingWindowProbabilities, type Predictor } from "./sliding-window.js";
import { windowStarts } from "./windows.js";
import { labelPhantom, pointwisePredictor } from "./_testing/models.js";

const owned: { dispose(): void }[] = [];
after(() => owned.forEach((t) => t.dispose()));
const own = <T extends { dispose(): void }>(t: T): T => (owned.push(t), t);

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test("gaussianWeights1d() and importanceMap() are mirror-symmetric, peak at 1 and strictly positive", () => {
  for (const n of [1, 2, 7, 8, 33]) {
    const g = gaussianWeights1d(n);
    for (let i = 0; i < n; i++) assert.ok(Math.abs(g[i]! - g[n - 1 - i]!) < 1e-15, `n=${n} i=${i}`);
    assert.ok(Math.abs(Math.max(...g) - 1) < 1e-12);
    assert.ok(g.every((v) => v > 0));
  }
  const patch = [5, 8, 6] as const;
  const w = importanceMap(patch);
  const at = (z: number, y: number, x: number) => w[(z * patch[1] + y) * patch[2] + x]!;
  let max = 0;
  for (let z = 0; z < 5; z++)
    for (let y = 0; y < 8; y++)
      for (let x = 0; x < 6; x++) {
        const v = at(z, y, x);
        max = Math.max(max, v);
        assert.ok(v > 0);
        assert.equal(v, at(4 - z, y, x));
        assert.equal(v, at(z, 7 - y, x));
        assert.equal(v, at(z, y, 5 - x));
      }
  assert.ok(Math.abs(max - 1) < 1e-6);
  // sigma = n/8 makes the edge weight exp(-(n-1)²/(2·(n/8)²)·¼)
  const g64 = gaussianWeights1d(64);
  assert.ok(Math.abs(g64[0]! - Math.exp(-(31.5 ** 2) / (2 * 8 * 8)) / Math.exp(-(0.5 ** 2) / 128)) < 1e-9);
  assert.deepEqual([...importanceMap([2, 2, 2], { mode: "constant" })], [1, 1, 1, 1, 1, 1, 1, 1]);
});

test("windowStarts() covers the axis from 0 to size - patch with at least the requested overlap", () => {
  assert.deepEqual(windowStarts(10, 4, 0.5), [0, 2, 4, 6]);
  assert.deepEqual(windowStarts(8, 8, 0.5), [0]);
  for (const [size, patch, overlap] of [[23, 8, 0.5], [31, 6, 0], [17, 10, 0.25], [100, 32, 0.8], [9, 8, 0.5]] as const) {
    const s = windowStarts(size, patch, overlap);
    assert.equal(s[0], 0);
    assert.equal(s.at(-1), size - patch);
    for (let i = 1; i < s.length; i++) {
      assert.ok(s[i]! > s[i - 1]!);
      assert.ok(s[i]! - s[i - 1]! <= Math.max(1, Math.floor(patch * (1 - overlap))), `${size},${patch},${overlap}: ${s}`);
    }
  }
  assert.throws(() => windowStarts(4, 8, 0.5), RangeError);
  assert.throws(() => windowStarts(8, 4, 1), /overlap must be in \[0, 1\)/);
});

test("slidingWindow equals one forward pass when the patch covers the whole volume", () => {
  const net = own(new SegmentationNetwork(unetConfig({ levels: 3, baseFilters: 4, numClasses: 3 }), { generator: new Generator(7) }).eval());
  const predict = networkPredictor(net);
  const x = own(tidy(() => tensor(Float32Array.from({ length: 16 * 16 * 16 }, (_, i) => Math.sin(i * 0.37)), [1, 16, 16, 16])));
  const ref = noGrad(() => tidy(() => net.forward(x.unsqueeze(0), { embedding: false }).logits.softmax(1).squeeze(0).dataSync() as Float32Array));
  const probs = slidingWindowProbabilities(x, [predict], { patchSize: [16, 16, 16] });
  assert.deepEqual(probs.shape, [3, 16, 16, 16]);
  assert.ok(maxAbsDiff(probs.dataSync() as Float32Array, ref) < 1e-5);
  probs.dispose();
  const labels = slidingWindowLabels(x, [predict], { patchSize: [16, 16, 16] });
  const refLabels = noGrad(() => tidy(() => net.forward(x.unsqueeze(0), { embedding: false }).logits.argmax(1).squeeze(0).toArray()));
  assert.deepEqual([...labels.data], refLabels);
  assert.equal(labels.numClasses, 3);
});

test("a thresholding model reproduces the segmentation exactly across window seams (several overlaps, odd sizes, padding)", () => {
  const predict = pointwisePredictor([0, 1, 2], [0, -5, -20], owned);
  const cases: { shape: [number, number, number]; patch: [number, number, number] }[] = [
    { shape: [23, 17, 31], patch: [8, 10, 12] },
    { shape: [5, 40, 9], patch: [8, 8, 8] }, // smaller than the patch along D and W: padded
    { shape: [13, 13, 13], patch: [13, 7, 5] },
  ];
  for (const { shape, patch } of cases) {
    const { image, labels } = labelPhantom(shape, 3, 11);
    const x = own(tensor(image, [1, ...shape]));
    for (const overlap of [0, 0.3, 0.5, 0.75]) {
      for (const batchSize of [1, 3]) {
        const out = slidingWindowLabels(x, [predict], { patchSize: patch, overlap, batchSize });
        assert.deepEqual(out.shape, shape);
        assert.ok(out.data instanceof Uint8Array);
        let wrong = 0;
        for (let i = 0; i < labels.length; i++) if (out.data[i] !== labels[i]) wrong++;
        assert.equal(wrong, 0, `shape ${shape} patch ${patch} overlap ${overlap} batch ${batchSize}`);
      }
      const probs = slidingWindowProbabilities(x, [predict], { patchSize: patch, overlap });
      const am = probs.argmax(0);
      assert.deepEqual(am.toArray(), [...labels]);
      const sums = probs.sum(0);
      assert.ok(sums.toArray().every((s) => Math.abs(s - 1) < 1e-5), "probabilities sum to 1 after normalisation");
      for (const t of [probs, am, sums]) t.dispose();
    }
  }
});

test("mirroring TTA on a flip-symmetric model equals no TTA", () => {
  // A 3×3×3 kernel symmetric under every flip makes the model flip-equivariant.
  const k = new Float32Array(2 * 27);
  for (let z = 0; z < 3; z++)
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 3; x++) {
        const d = Math.abs(z - 1) + Math.abs(y - 1) + Math.abs(x - 1);
        k[(z * 3 + y) * 3 + x] = 0.1 * d;
        k[27 + (z * 3 + y) * 3 + x] = 1 / (1 + d);
      }
  const w = own(tensor(k, [2, 1, 3, 3, 3]));
  const predict: Predictor = (x) => conv3d(x, w, null, { padding: 1 });
  const { image } = labelPhantom([14, 11, 19], 2, 3);
  const x = own(tensor(image, [1, 14, 11, 19]));
  const opts = { patchSize: [8, 8, 8] as const, overlap: 0.5 };
  const plain = slidingWindowProbabilities(x, [predict], opts);
  const tta = slidingWindowProbabilities(x, [predict], { ...opts, mirrorAxes: [0, 1, 2] });
  assert.ok(maxAbsDiff(plain.dataSync() as Float32Array, tta.dataSync() as Float32Array) < 1e-5);
  // A model that is not symmetric does change under TTA (so the mirrors are really applied).
  const k2 = k.slice();
  k2[27 + 13] = 0;
  k2[27 + 14] = 3; // the second logit looks one voxel to the +x side
  const w2 = own(tensor(k2, [2, 1, 3, 3, 3]));
  const skewed: Predictor = (x) => conv3d(x, w2, null, { padding: 1 });
  const a = slidingWindowProbabilities(x, [skewed], opts);
  const b = slidingWindowProbabilities(x, [skewed], { ...opts, mirrorAxes: [2] });
  assert.ok(maxAbsDiff(a.dataSync() as Float32Array, b.dataSync() as Float32Array) > 1e-2);
  for (const t of [plain, tta, a, b]) t.dispose();
});

test("an ensemble averages the members' softmax probabilities", () => {
  const a = pointwisePredictor([0, 1, 2], [0, -5, -20], owned);
  const b = pointwisePredictor([0.5, -0.2, 0.3], [1, 2, -3], owned);
  const { image } = labelPhantom([9, 12, 10], 3, 5);
  const x = own(tensor(image, [1, 9, 12, 10]));
  const opts = { patchSize: [6, 6, 6] as const, overlap: 0.5 };
  const [pa, pb, pab] = [[a], [b], [a, b]].map((m) => slidingWindowProbabilities(x, m, opts)) as [Tensor, Tensor, Tensor];
  const va = pa.dataSync() as Float32Array;
  const vb = pb.dataSync() as Float32Array;
  const mean = va.map((v, i) => (v + vb[i]!) / 2);
  assert.ok(maxAbsDiff(pab.dataSync() as Float32Array, mean) < 1e-6);
  for (const t of [pa, pb, pab]) t.dispose();
});

test("sliding window leaks no tensor and keeps a one-patch-deep accumulator in label mode", () => {
  const predict = pointwisePredictor([0, 1, 2, 3, 4, 5, 6, 7], [0, -1, -2, -3, -4, -5, -6, -7], owned);
  const shape: [number, number, number] = [64, 24, 24];
  const x = own(tensor(new Float32Array(64 * 24 * 24).fill(0.5), [1, ...shape]));
  expectNoLeak(() => slidingWindowLabels(x, [predict], { patchSize: [8, 8, 8], overlap: 0.5, batchSize: 2 }), "slidingWindowLabels");
  expectNoLeak(() => slidingWindowProbabilities(x, [predict], { patchSize: [8, 8, 8], mirrorAxes: [2] }), "slidingWindowProbabilities");
  // Native statistics count every view at its storage's size, so measure on a deep volume where
  // a full-depth accumulator would dwarf the slab and its views.
  const deep = own(tensor(new Float32Array(384 * 24 * 24).fill(0.5), [1, 384, 24, 24]));
  resetPeakMemory();
  const base = memory().liveBytes;
  const out = slidingWindowLabels(deep, [predict], { patchSize: [8, 24, 24], overlap: 0.5 });
  assert.equal(out.data.length, 384 * 24 * 24);
  const full = 8 * 384 * 24 * 24 * 4; // one float per class and voxel
  const peak = memory().peakBytes - base;
  assert.ok(peak < full / 4, `peak ${peak} bytes should be far below a full accumulator (${full})`);
});

test("sliding window rejects bad inputs with clear errors", () => {
  const predict = pointwisePredictor([1, -1], [0, 0], owned);
  const x = own(tensor(new Float32Array(8 * 8 * 8), [1, 8, 8, 8]));
  assert.throws(() => slidingWindowLabels(x, [predict], { patchSize: [8, 8, 0] as never }), /patchSize must be 3 positive integers/);
  assert.throws(() => slidingWindowLabels(x, [predict], { patchSize: [4, 4, 4], mirrorAxes: [3] }), /mirrorAxes/);
  assert.throws(() => slidingWindowLabels(x, [], { patchSize: [4, 4, 4] }), /at least one predictor/);
  const cropping: Predictor = (t) => t.slice(2, 0, 2);
  assert.throws(() => slidingWindowLabels(x, [cropping], { patchSize: [4, 4, 4] }), /predictor output/);
  const y = own(tensor(new Float32Array(8 * 8), [8, 8]));
  assert.throws(() => slidingWindowLabels(y, [predict], { patchSize: [4, 4, 4] }), /rank 4/);
});
