// The contrastive head's loss from boxes: voxel labels per stage, seeded sampling, InfoNCE
// behaviour and leak checks.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Tensor, Generator, expectNoLeak, grad, randn, setNumThreads, tensor, tidy, zeros } from "../../tensor/index.js";
import { UNUSED_VOXEL, boxContrastiveLoss, boxMasks, boxVoxelLabels, sampleVoxels, supConLoss } from "./index.js";

setNumThreads(1); // tiny tensors: intra-op threads only add hand-offs

const gen = (seed: number) => new Generator(seed);
const SHAPE = [4, 4, 4] as const;
/** Organ 1 in z < 2 (boxes [0,2)×[0,4)²), organ 2 in y ≥ 2 ([0,4)×[2,4)×[0,4)): they overlap where z < 2 and y ≥ 2. */
const masks = () =>
  boxMasks(
    [
      [
        { value: 1, min: [0, 0, 0], max: [2, 4, 4] },
        { value: 2, min: [0, 2, 0], max: [4, 4, 4] },
      ],
      [{ value: 1, min: [1, 1, 1], max: [3, 3, 3] }],
    ],
    SHAPE,
    { channels: 2 },
  ).mask;

describe("boxVoxelLabels()", () => {
  test("coarse: one box → its organ, no box → background, overlapping boxes → unused", () => {
    tidy(() => {
      const labels = boxVoxelLabels(masks());
      assert.equal(labels.dtype, "int64");
      const v = labels.toArray();
      const at = (n: number, z: number, y: number, x: number) => v[n * 64 + z * 16 + y * 4 + x];
      assert.equal(at(0, 0, 0, 0), 1);
      assert.equal(at(0, 0, 3, 0), UNUSED_VOXEL);
      assert.equal(at(0, 3, 3, 3), 2);
      assert.equal(at(0, 3, 0, 0), 0);
      assert.equal(at(1, 1, 1, 1), 1);
      assert.equal(at(1, 0, 0, 0), 0);
    });
  });

  test("refine: inside a box the prediction decides (organ if p ≥ threshold, the likelier covering organ on overlaps)", () => {
    tidy(() => {
      const p = zeros([2, 2, ...SHAPE], { dtype: "float32" }).add(0.2);
      const data = p.dataSync() as Float32Array;
      data[0] = 0.9; // sample 0, organ 1 at (0,0,0)
      data[0 * 128 + 0 * 64 + 0 * 16 + 3 * 4 + 0] = 0.6; // organ 1 at (0,3,0), inside both boxes
      data[0 * 128 + 1 * 64 + 0 * 16 + 3 * 4 + 0] = 0.8; // organ 2 there: wins
      data[0 * 128 + 1 * 64 + 3 * 16 + 0 * 4 + 0] = 0.99; // organ 2 at (3,0,0): outside its box → background
      const labels = boxVoxelLabels(masks(), { stage: "refine", probabilities: tensor(data, [2, 2, ...SHAPE]) }).toArray();
      assert.equal(labels[0], 1);
      assert.equal(labels[12], 2);
      assert.equal(labels[48], 0);
      assert.equal(labels[1], 0, "inside the box but predicted background");
    });
  });

  test("refine without probabilities is an error", () => {
    tidy(() => assert.throws(() => boxVoxelLabels(masks(), { stage: "refine" }), /probabilities/));
  });
});

describe("sampleVoxels()", () => {
  test("draws at most perLabel voxels per (sample, label), of that label, never unused ones, reproducibly", () => {
    tidy(() => {
      const labels = boxVoxelLabels(masks());
      const a = sampleVoxels(labels, { perLabel: 5, labels: 3, generator: gen(1) });
      const b = sampleVoxels(labels, { perLabel: 5, labels: 3, generator: gen(1) });
      const c = sampleVoxels(labels, { perLabel: 5, labels: 3, generator: gen(2) });
      assert.deepEqual(a.voxel.toArray(), b.voxel.toArray());
      assert.notDeepEqual(a.voxel.toArray(), c.voxel.toArray());
      const all = labels.toArray();
      const s = a.sample.toArray(), v = a.voxel.toArray(), l = a.label.toArray();
      const counts = new Map<string, number>();
      for (let i = 0; i < l.length; i++) {
        assert.equal(all[s[i]! * 64 + v[i]!], l[i]);
        counts.set(`${s[i]}/${l[i]}`, (counts.get(`${s[i]}/${l[i]}`) ?? 0) + 1);
      }
      assert.ok(!l.includes(UNUSED_VOXEL));
      // Sample 1 has no organ 2: only labels 0 and 1.
      assert.deepEqual([...counts.entries()].sort(), [["0/0", 5], ["0/1", 5], ["0/2", 5], ["1/0", 5], ["1/1", 5]]);
      assert.equal(new Set(v.map((x, i) => `${s[i]}/${x}`)).size, v.length, "without replacement");
    });
  });
});

describe("supConLoss() and boxContrastiveLoss()", () => {
  test("supConLoss is lower for embeddings clustered by label than for mixed ones, and 0 for a single label", () => {
    tidy(() => {
      const labels = tensor([0, 0, 1, 1], [4], { dtype: "int64" });
      const clustered = tensor([1, 0, 0.9, 0.1, 0, 1, 0.1, 0.9], [4, 2]);
      const mixed = tensor([1, 0, 0, 1, 0.9, 0.1, 0.1, 0.9], [4, 2]);
      assert.ok(supConLoss(clustered, labels).item() < supConLoss(mixed, labels).item());
      const one = supConLoss(randn([5, 3], { requiresGrad: true }), tensor([2, 2, 2, 2, 2], [5], { dtype: "int64" }));
      assert.equal(one.item(), 0);
    });
  });

  test("boxContrastiveLoss trains the head: a gradient step lowers the loss on the same draws", () => {
    tidy(() => {
      const m = masks();
      const start = randn([2, 4, ...SHAPE], { dtype: "float64", generator: gen(3) });
      const loss = (e: Tensor) => boxContrastiveLoss(e, m, { perLabel: 6, generator: gen(4) });
      const leaf = start.clone().setRequiresGrad(true);
      const l0 = loss(leaf);
      const [g] = grad([l0], [leaf]);
      const l1 = loss(start.sub(g!.mul(0.5)));
      assert.ok(l1.item() < l0.item(), `${l1.item()} < ${l0.item()}`);
    });
  });

  test("samples with weight 0 give no voxels; a batch with a single label left gives 0", () => {
    tidy(() => {
      const emb = randn([2, 4, ...SHAPE], { generator: gen(5), requiresGrad: true });
      const onlyBackground = boxMasks([[], []], SHAPE, { channels: 2 }).mask;
      const loss = boxContrastiveLoss(emb, onlyBackground, { generator: gen(6) });
      assert.equal(loss.item(), 0);
      const [g] = grad([loss], [emb]);
      assert.equal(g!.abs().max().item(), 0);
      const m = masks();
      const both = boxContrastiveLoss(emb, m, { perLabel: 4, generator: gen(7) }).item();
      const first = boxContrastiveLoss(emb, m, { perLabel: 4, generator: gen(7), weights: tensor([1, 0], [2]) }).item();
      assert.ok(Number.isFinite(first) && first > 0 && first !== both);
    });
  });

  test("refine stage from logits (softmax, K + 1 channels) runs and takes no gradient into the logits", () => {
    tidy(() => {
      const emb = randn([2, 4, ...SHAPE], { generator: gen(8), requiresGrad: true });
      const logits = randn([2, 3, ...SHAPE], { generator: gen(9), requiresGrad: true });
      const loss = boxContrastiveLoss(emb, masks(), { stage: "refine", logits, generator: gen(10) });
      const [ge, gl] = grad([loss], [emb, logits], { allowUnused: true });
      assert.ok(ge!.abs().sum().item() > 0);
      assert.equal(gl, null);
    });
  });

  test("no leaks outside any scope", () => {
    const m = masks();
    const emb = randn([2, 4, ...SHAPE], { generator: gen(11), requiresGrad: true });
    const logits = randn([2, 3, ...SHAPE], { generator: gen(12) });
    expectNoLeak(() => boxVoxelLabels(m), "boxVoxelLabels");
    expectNoLeak(() => {
      const labels = boxVoxelLabels(m);
      const s = sampleVoxels(labels, { labels: 3, perLabel: 3, generator: gen(13) });
      labels.dispose();
      return s;
    }, "sampleVoxels");
    expectNoLeak(() => boxContrastiveLoss(emb, m, { generator: gen(14) }), "boxContrastiveLoss");
    expectNoLeak(() => boxContrastiveLoss(emb, m, { stage: "refine", logits, generator: gen(15) }), "boxContrastiveLoss refine");
    expectNoLeak(() => {
      const l = boxContrastiveLoss(emb, m, { generator: gen(16) });
      const [g] = grad([l], [emb]);
      l.dispose();
      return g;
    }, "boxContrastiveLoss backward");
    for (const t of [m, emb, logits]) t.dispose();
  });
});
