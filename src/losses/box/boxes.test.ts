// Box masks and flags, the activation conventions, affinities, the pairwise and projection edge
// cases, and leak checks of every public function.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Tensor, Generator, ShapeError, callTensor, expectNoLeak, grad, index, neighbours, ones, rand, randn, setNumThreads, tensor, tidy, zeros } from "../../tensor/index.js";
import {
  type BoxLike,
  boxAreaLoss,
  boxMasks,
  embeddingAffinity,
  foregroundProbabilities,
  intensityAffinity,
  neighbourValidity,
  organLogProbabilities,
  pairwiseLoss,
  pairwiseWarmup,
  projectionLoss,
  prototypeAffinity,
  resolveBoxes,
} from "./index.js";

setNumThreads(1); // tiny tensors: intra-op threads only add hand-offs

const gen = (seed: number) => new Generator(seed);
const box = (value: number, min: [number, number, number], max: [number, number, number], touchesBorder?: boolean): BoxLike => ({ value, min, max, touchesBorder });

describe("resolveBoxes() and boxMasks()", () => {
  test("clips boxes to the patch, drops boxes outside it and flags only boxes inside with margin as complete", () => {
    const r = resolveBoxes(
      [
        [box(2, [-2, 1, 1], [3, 4, 4]), box(1, [1, 1, 1], [3, 4, 5]), box(3, [6, 0, 0], [9, 2, 2])],
        [box(1, [0, 0, 0], [6, 6, 6]), box(2, [1, 1, 1], [4, 4, 4], true)],
      ],
      [6, 6, 6],
      { channels: 3 },
    );
    assert.deepEqual(
      r[0]!.map((b) => [b.channel, b.min, b.max, b.complete]),
      [
        [0, [1, 1, 1], [3, 4, 5], true],
        [1, [0, 1, 1], [3, 4, 4], false],
      ],
    );
    // Touching the patch faces is still inside by coordinates; the pipeline's flag makes a box incomplete.
    assert.deepEqual(r[1]!.map((b) => b.complete), [true, false]);
    const strict = resolveBoxes([[box(1, [0, 0, 0], [6, 6, 6]), box(2, [1, 1, 1], [5, 5, 5])]], [6, 6, 6], { channels: 2, borderMargin: 1 });
    assert.deepEqual(strict[0]!.map((b) => b.complete), [false, true]);
  });

  test("rejects label values outside 1..K, duplicate organs and empty boxes", () => {
    assert.throws(() => resolveBoxes([[box(3, [0, 0, 0], [1, 1, 1])]], [4, 4, 4], { channels: 2 }), /label value must be in 1\.\.2/);
    assert.throws(() => resolveBoxes([[box(1, [0, 0, 0], [1, 1, 1]), box(1, [1, 1, 1], [2, 2, 2])]], [4, 4, 4], { channels: 2 }), /second box/);
    assert.throws(() => resolveBoxes([[box(1, [2, 0, 0], [2, 1, 1])]], [4, 4, 4], { channels: 2 }), /empty box/);
    assert.throws(() => resolveBoxes([[box(1, [0.5, 0, 0], [2, 1, 1])]], [4, 4, 4], { channels: 2 }), /three integers/);
  });

  test("builds the same masks as slicing, with present and complete flags per (sample, channel)", () => {
    expectNoLeak(() =>
      tidy(() => {
        const m = boxMasks([[box(1, [1, 0, 2], [3, 2, 5]), box(2, [-1, 1, 1], [2, 3, 3])], []], [3, 4, 5], { channels: 2 });
        assert.deepEqual(m.mask.shape, [2, 2, 3, 4, 5]);
        const got = m.mask.dataSync() as Float32Array;
        for (let i = 0; i < got.length; i++) {
          const x = i % 5, y = Math.floor(i / 5) % 4, z = Math.floor(i / 20) % 3, k = Math.floor(i / 60) % 2, n = Math.floor(i / 120);
          const want = n === 0 && (k === 0 ? z >= 1 && z < 3 && y < 2 && x >= 2 : z < 2 && y >= 1 && y < 3 && x >= 1 && x < 3) ? 1 : 0;
          assert.equal(got[i], want, `voxel ${i}`);
        }
        assert.deepEqual(m.present.toArray(), [1, 1, 0, 0]);
        assert.deepEqual(m.complete.toArray(), [1, 0, 0, 0]);
      }),
    );
  });
});

describe("activation conventions", () => {
  test("softmax logits carry a background channel; organ k is channel k + 1", () => {
    tidy(() => {
      const logits = randn([1, 3, 2, 2, 2], { dtype: "float64", generator: gen(1) });
      const p = foregroundProbabilities(logits, "softmax");
      assert.deepEqual(p.shape, [1, 2, 2, 2, 2]);
      const [lp, lq] = organLogProbabilities(logits, 1, "softmax");
      const want = logits.softmax(1).slice(1, 2, 3);
      assert.ok(lp.exp().sub(want).abs().max().item() < 1e-14);
      assert.ok(lq.exp().sub(want.neg().add(1)).abs().max().item() < 1e-14);
    });
  });

  test("log(1 − p) stays exact for saturated predictions (softmax and sigmoid)", () => {
    tidy(() => {
      const soft = tensor([0, 80, 0], [1, 3, 1, 1, 1], { dtype: "float32" });
      const [, lq] = organLogProbabilities(soft, 0, "softmax");
      // 1 − p = 2e^{-80} / (1 + 2e^{-80}): log ≈ −80 + log 2; 1 − p itself rounds to 0 in float32.
      assert.ok(Math.abs(lq.item() - (-80 + Math.log(2))) < 1e-4, `${lq.item()}`);
      const [lp2, lq2] = organLogProbabilities(tensor([-90, 90], [1, 2, 1, 1, 1]), 1, "sigmoid");
      assert.ok(Math.abs(lp2.item()) < 1e-6 && Math.abs(lq2.item() + 90) < 1e-4);
    });
  });

  test("a box mask whose channel count does not fit the logits and activation is a ShapeError", () => {
    tidy(() => {
      const mask = zeros([1, 2, 2, 2, 2]);
      assert.throws(() => projectionLoss(zeros([1, 2, 2, 2, 2]), mask), ShapeError); // softmax needs K + 1 = 3
      assert.doesNotThrow(() => projectionLoss(zeros([1, 2, 2, 2, 2]), mask, { activation: "sigmoid" }));
      assert.throws(() => projectionLoss(zeros([1, 3, 2, 2, 2]), mask, { activation: "bad" as never }), /activation/);
    });
  });
});

describe("affinities", () => {
  test("embeddingAffinity is the dot product with each neighbour of neighbours(), and validity marks neighbours inside", () => {
    expectNoLeak(() =>
      tidy(() => {
        const e = randn([2, 3, 3, 4, 5], { dtype: "float64", generator: gen(2) }).normalize(2, 1);
        for (const dilation of [1, 2]) {
          const S = embeddingAffinity(e, { dilation });
          const want = neighbours(e, { dilation }).mul(e.unsqueeze(2)).sum(1);
          assert.ok(S.sub(want).abs().max().item() < 1e-14);
          const valid = neighbourValidity([3, 4, 5], { dilation, dtype: "float64" });
          assert.deepEqual(valid.toArray(), neighbours(ones([1, 1, 3, 4, 5], { dtype: "float64" }), { dilation }).squeeze(1).toArray());
        }
      }),
    );
  });

  test("intensityAffinity is exp(−θ·|ΔI|), with the norm over channels", () => {
    tidy(() => {
      const img = tensor([0, 1, 3], [1, 1, 1, 1, 3], { dtype: "float64" });
      const S = intensityAffinity(img, { scale: 0.5 });
      // Offset (0, 0, +1) is index 13 of the 26 (after the 13 offsets with dz < 0 or dz = 0, dy < 0, ... ).
      const right = S.slice(1, 13, 14).flatten().toArray();
      assert.ok(Math.abs(right[0]! - Math.exp(-0.5)) < 1e-15 && Math.abs(right[1]! - Math.exp(-1)) < 1e-15);
      const two = tensor([0, 3, 0, 4], [1, 2, 1, 1, 2], { dtype: "float64" });
      assert.ok(Math.abs(intensityAffinity(two, { scale: 1 }).slice(1, 13, 14).flatten().toArray()[0]! - Math.exp(-5)) < 1e-15);
    });
  });
});

describe("prototype affinity", () => {
  test("prototypeAffinity is Σ_c q_ic q_jc with q = softmax_c(C·μ_c / T)", () => {
    tidy(() => {
      // Three voxels along W: (1, 0), (0.8, 0.6), (0, 1); prototypes e1 and e2.
      const e = tensor([1, 0.8, 0, 0, 0.6, 1], [1, 2, 1, 1, 3], { dtype: "float64" });
      const protos = tensor([1, 0, 0, 1], [2, 2], { dtype: "float64" });
      const T = 0.5;
      const q = [[1, 0], [0.8, 0.6], [0, 1]].map(([a, b]) => {
        const ea = Math.exp(a! / T);
        const eb = Math.exp(b! / T);
        return [ea / (ea + eb), eb / (ea + eb)] as const;
      });
      const right = prototypeAffinity(e, protos, { temperature: T }).slice(1, 13, 14).flatten().toArray(); // offset (0, 0, +1)
      for (const i of [0, 1]) {
        const want = q[i]![0] * q[i + 1]![0] + q[i]![1] * q[i + 1]![1];
        assert.ok(Math.abs(right[i]! - want) < 1e-14, `voxel ${i}: ${right[i]} vs ${want}`);
      }
      assert.throws(() => prototypeAffinity(e, tensor([1, 0, 0], [1, 3], { dtype: "float64" })), /prototypes must be \(C, 2\).*shape=\[1,3\]/);
      assert.throws(() => prototypeAffinity(e, protos, { temperature: 0 }), /temperature must be > 0/);
    });
  });

  test("two prototypes: a pair on opposite sides of the decision boundary never reaches S > ½, whatever the embedding's scale", () => {
    tidy(() => {
      // Embeddings all within a few degrees of each other (an early head): cosine ≥ 0.9 everywhere.
      const base = tensor([1, 0, 0, 0], [1, 4, 1, 1, 1], { dtype: "float64" });
      const e = base.add(randn([1, 4, 3, 4, 5], { dtype: "float64", generator: gen(21) }).mul(0.05)).normalize(2, 1);
      const protos = index(e.flatten(2).squeeze(0).transpose(0, 1), [tensor([0, 59], [2], { dtype: "int64" })]);
      const cosP = e.unsqueeze(1).mul(protos.reshape([1, 2, 4, 1, 1, 1])).sum(2); // (1, 2, D, H, W)
      const side = cosP.slice(1, 1, 2).gt(cosP.slice(1, 0, 1)).to("float64"); // (1, 1, D, H, W)
      const differ = neighbours(side).sub(side.unsqueeze(2)).abs().squeeze(1); // (1, 26, D, H, W): 1 where the sides differ
      const valid = neighbourValidity([3, 4, 5], { dtype: "float64" });
      const S = prototypeAffinity(e, protos, { temperature: 0.1 });
      const crossing = differ.mul(valid);
      assert.ok(crossing.sum().item() > 0, "the draw has pairs across the boundary");
      assert.ok(S.mul(crossing).max().item() <= 0.5 + 1e-12);
      assert.ok(embeddingAffinity(e).add(crossing.neg().add(1).mul(10)).min().item() > 0.9, "while their raw cosines pass τ 0.9");
    });
  });

  test("pairwiseLoss with the prototype affinity is the recipe's sum over the whole volume with w = 1[S ≥ τ], prototypes 0 and k + 1 for organ k", () => {
    tidy(() => {
      const shape = [3, 4, 5] as const;
      const logits = randn([1, 3, ...shape], { dtype: "float64", generator: gen(11) });
      const e = randn([1, 4, ...shape], { dtype: "float64", generator: gen(12) }).normalize(2, 1);
      const protos = randn([3, 4], { dtype: "float64", generator: gen(13) }).normalize(2, 1);
      const { mask } = boxMasks([[box(1, [0, 1, 1], [2, 4, 4]), box(2, [1, 0, 0], [3, 3, 3])]], shape, { channels: 2, dtype: "float64" });
      const got = pairwiseLoss(logits, mask, { affinity: { kind: "prototype", embedding: e, prototypes: protos, temperature: 0.5 }, threshold: 0.6 }).item();
      const valid = neighbourValidity(shape, { dtype: "float64" });
      let num = 0;
      let den = 0;
      for (const k of [0, 1]) {
        const S = prototypeAffinity(e, index(protos, [tensor([0, k + 1], [2], { dtype: "int64" })]), { temperature: 0.5 });
        const w = S.ge(0.6).to("float64").mul(valid).mul(mask.slice(1, k, k + 1));
        const [lp, lq] = organLogProbabilities(logits, k, "softmax");
        const same = callTensor("aten::logaddexp", [lp.unsqueeze(2).add(neighbours(lp)), lq.unsqueeze(2).add(neighbours(lq))]).squeeze(1);
        num += same.neg().mul(w).sum().item();
        den += w.sum().item();
      }
      assert.ok(den > 0);
      assert.ok(Math.abs(got - num / den) < 1e-12, `${got} vs ${num / den}`);
      assert.throws(() => pairwiseLoss(logits, mask, { affinity: { kind: "prototype", embedding: e, prototypes: protos.slice(0, 0, 2) } }), ShapeError);
    });
  });
});

describe("pairwiseLoss() edge cases", () => {
  const shape = [4, 4, 4] as const;
  test("no boxes (or only zero weights) give exactly 0 with a zero gradient", () => {
    expectNoLeak(() =>
      tidy(() => {
        const logits = randn([1, 2, ...shape], { requiresGrad: true, generator: gen(3) });
        const image = rand([1, 1, ...shape], { generator: gen(4) });
        const empty = zeros([1, 1, ...shape]);
        const loss = pairwiseLoss(logits, empty, { affinity: { kind: "intensity", image } });
        assert.equal(loss.item(), 0);
        const [g] = grad([loss], [logits]);
        assert.ok(g!.abs().max().item() === 0);
        const full = boxMasks([[box(1, [0, 0, 0], [4, 4, 4])]], shape, { channels: 1 }).mask;
        assert.equal(pairwiseLoss(logits, full, { affinity: { kind: "intensity", image }, weights: tensor([0], [1]) }).item(), 0);
      }),
    );
  });

  test("is finite and near 0 for confident, consistent predictions, even saturated", () => {
    tidy(() => {
      const image = zeros([1, 1, ...shape]);
      const mask = boxMasks([[box(1, [1, 1, 1], [3, 3, 3])]], shape, { channels: 1 }).mask;
      const confident = zeros([1, 1, ...shape]).add(120); // sigmoid(120) is exactly 1 in float32
      const loss = pairwiseLoss(confident, mask, { activation: "sigmoid", affinity: { kind: "intensity", image } }).item();
      assert.ok(Number.isFinite(loss) && loss < 1e-6, `${loss}`);
      const split = tensor(Array.from({ length: 64 }, (_, i) => (i % 4 < 2 ? 120 : -120)), [1, 1, ...shape]);
      const bad = pairwiseLoss(split, mask, { activation: "sigmoid", affinity: { kind: "intensity", image } }).item();
      assert.ok(Number.isFinite(bad) && bad > 10, `disagreeing neighbours are penalised: ${bad}`);
    });
  });

  test("pairwiseWarmup ramps linearly to the weight", () => {
    assert.deepEqual([0, 200, 800, 5000].map((i) => pairwiseWarmup(i)), [0, 0.25, 1, 1]);
    assert.equal(pairwiseWarmup(50, { warmupIterations: 100, weight: 4 }), 2);
    assert.equal(pairwiseWarmup(0, { warmupIterations: 0, weight: 3 }), 3);
  });
});

describe("projectionLoss() and boxAreaLoss() values", () => {
  test("a prediction whose every box slice holds some foreground scores 0 (profiles), but not in the plane variant", () => {
    tidy(() => {
      const mask = boxMasks([[box(1, [0, 0, 0], [3, 3, 3])]], [4, 4, 4], { channels: 1, dtype: "float64" }).mask;
      // A diagonal line through the box: every 1-D profile of the box is covered, its 2-D projections are not.
      const p = zeros([1, 1, 4, 4, 4], { dtype: "float64" }).add(mask.mul(0));
      const data = p.dataSync() as Float64Array;
      for (let i = 0; i < 3; i++) data[i * 16 + i * 4 + i] = 1;
      const diag = tensor(data, [1, 1, 4, 4, 4], { dtype: "float64" });
      const profile = projectionLoss(diag, mask, { activation: "none" }).item();
      assert.ok(profile < 1e-5, `${profile}`);
      assert.ok(projectionLoss(diag, mask, { activation: "none", projection: "plane" }).item() > 1);
    });
  });

  test("absent: penalise scores an annotated organ missing from the patch; ignore leaves it out", () => {
    tidy(() => {
      const mask = zeros([1, 1, 2, 2, 2], { dtype: "float64" });
      const p = zeros([1, 1, 2, 2, 2], { dtype: "float64" }).add(0.5);
      assert.equal(projectionLoss(p, mask, { activation: "none" }).item(), 0);
      assert.ok(Math.abs(projectionLoss(p, mask, { activation: "none", absent: "penalise" }).item() - 3 * 0.25) < 1e-15);
    });
  });

  test("boxAreaLoss penalises a box-interior mean foreground below θ only", () => {
    tidy(() => {
      const mask = boxMasks([[box(1, [0, 0, 0], [2, 2, 2])]], [2, 2, 2], { channels: 1, dtype: "float64" }).mask;
      const p = (v: number) => zeros([1, 1, 2, 2, 2], { dtype: "float64" }).add(v);
      assert.ok(Math.abs(boxAreaLoss(p(0.1), mask, { activation: "none", threshold: 0.3 }).item() - 0.2) < 1e-15);
      assert.equal(boxAreaLoss(p(0.5), mask, { activation: "none", threshold: 0.3 }).item(), 0);
    });
  });
});

test("no box loss leaks native tensors (each called outside any scope, only its result disposed)", () => {
  const shape = [4, 5, 6] as const;
  const boxes = [[box(1, [1, 1, 1], [3, 4, 5]), box(2, [0, 2, 0], [4, 5, 3])], [box(2, [2, 0, 2], [4, 3, 6])]];
  expectNoLeak(() => boxMasks(boxes, shape, { channels: 2 }), "boxMasks");
  const { mask, present, complete } = boxMasks(boxes, shape, { channels: 2 });
  const logits = randn([2, 3, ...shape], { generator: gen(5), requiresGrad: true });
  const emb = randn([2, 4, ...shape], { generator: gen(6) }).normalize(2, 1);
  const image = rand([2, 1, ...shape], { generator: gen(7) });
  const protos = randn([3, 4], { generator: gen(8) }).normalize(2, 1);
  const calls: [string, () => Tensor][] = [
    ["projectionLoss", () => projectionLoss(logits, mask)],
    ["projectionLoss plane/penalise/none", () => projectionLoss(logits, mask, { projection: "plane", absent: "penalise", reduction: "none", weights: present })],
    ["pairwiseLoss embedding", () => pairwiseLoss(logits, mask, { affinity: { kind: "embedding", embedding: emb }, boxDilation: 1 })],
    ["pairwiseLoss intensity", () => pairwiseLoss(logits, mask, { affinity: { kind: "intensity", image }, normalization: "box" })],
    ["pairwiseLoss prototype", () => pairwiseLoss(logits, mask, { affinity: { kind: "prototype", embedding: emb, prototypes: protos } })],
    ["boxAreaLoss", () => boxAreaLoss(logits, mask, { weights: complete })],
    ["embeddingAffinity", () => embeddingAffinity(emb)],
    ["intensityAffinity", () => intensityAffinity(image)],
    ["prototypeAffinity", () => prototypeAffinity(emb, protos)],
    ["neighbourValidity", () => neighbourValidity(shape)],
    ["foregroundProbabilities", () => foregroundProbabilities(logits, "softmax")],
  ];
  for (const [label, f] of calls) {
    expectNoLeak(f, label);
    if (label.endsWith("Affinity") || label === "neighbourValidity") continue; // targets: no gradient by design
    // Backward through the loss must not leave handles behind either.
    expectNoLeak(() => {
      const out = f();
      const total = out.sum();
      const [g] = grad([total], [logits], { allowUnused: true });
      out.dispose();
      total.dispose();
      return g;
    }, `${label} with its gradient`);
  }
  expectNoLeak(() => organLogProbabilities(logits, 1, "softmax"), "organLogProbabilities");
  for (const t of [mask, present, complete, logits, emb, image, protos]) t.dispose();
});
