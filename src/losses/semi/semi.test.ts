// Behaviour of the semi-supervised building blocks beyond the goldens: the properties the published
// code got wrong (target gradients, prototype direction), seeded determinism, degenerate inputs,
// argument errors and tensor leaks.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FBAContrastiveHead } from "../../nn/index.js";
import {
  type Tensor,
  Generator,
  ShapeError,
  expectNoLeak,
  full,
  grad,
  manualSeed,
  noGrad,
  normalize,
  rand,
  randint,
  randn,
  setNumThreads,
  tensor,
  tidy,
  where,
  zeros,
} from "../../tensor/index.js";
import {
  consistencyWeight,
  copyPasteMix,
  cosineSimilarityMatrix,
  crossPseudoSupervisionLoss,
  cuboidMask,
  fbaContrastiveLoss,
  hardPseudoLabels,
  largestComponentLabels,
  mutualConsistencyLoss,
  prototypeContrastiveLoss,
  rankWeightedSimilarityLoss,
  rankWeights,
  reliableCrossEntropy,
  selectWinner,
  sharpen,
  sharpenedConsistencyLoss,
  sigmoidRampup,
  softmaxEntropy,
  softmaxMSELoss,
  unionPseudoLabels,
  verificationLoss,
} from "../index.js";

setNumThreads(1); // tiny tensors: intra-op threads only add hand-offs
manualSeed(0); // unseeded draws below come from the default generator: make them repeatable

const f64 = { dtype: "float64" as const };
const gen = (seed: number) => new Generator(seed);

describe("FBA-Net", () => {
  test("the head derives its MLP input size from the patch size (and the pool)", () => {
    using a = new FBAContrastiveHead({ patchSize: [10, 12, 9], hiddenDim: 4, embeddingDim: 3 });
    assert.deepEqual(a.mapSize, [5, 6, 5]);
    assert.equal(a.inputFeatures, 150);
    assert.equal(a.foregroundMlp.at(0).parameters()[0]?.shape[1], 150);
    using b = new FBAContrastiveHead({ patchSize: [10, 12, 9], hiddenDim: 4, embeddingDim: 3, pool: 2 });
    assert.equal(b.inputFeatures, 2 * 3 * 2);
    using c = new FBAContrastiveHead({ patchSize: [10, 12, 9], hiddenDim: 0, embeddingDim: 3, padding: 0 });
    assert.deepEqual(c.mapSize, [4, 5, 4]);
    assert.equal(c.foregroundMlp.length, 1, "hiddenDim 0: one Linear layer");
    // The LA patch of the paper, computed without building its 16 M-weight layers.
    assert.equal([80, 112, 112].map((n) => Math.floor((n - 1) / 2) + 1).reduce((x, y) => x * y), 125_440);
  });

  test("the head's outputs have the documented layouts and other patch sizes are refused", () => {
    using head = new FBAContrastiveHead({ patchSize: [4, 6, 6], hiddenDim: 8, embeddingDim: 5, generator: gen(1) });
    expectNoLeak(() =>
      tidy(() => {
        const out = head.forward(randn([3, 2, 4, 6, 6], { generator: gen(2) }));
        assert.deepEqual(out.foreground.shape, [3, 5]);
        assert.deepEqual(out.background.shape, [3, 5]);
        assert.deepEqual(out.activation.shape, [3, 1, 2, 3, 3]);
        const a = out.activation.toArray();
        assert.ok(a.every((v) => v > 0 && v < 1));
      }),
    );
    assert.throws(() => tidy(() => head.forward(randn([3, 2, 4, 6, 8]))), (e: unknown) => e instanceof ShapeError && /\(N, 2, 4, 6, 6\)/.test(e.message));
    assert.throws(() => new FBAContrastiveHead({ patchSize: [1, 1, 1], padding: 0 }), /too small/);
    assert.throws(() => new FBAContrastiveHead({ patchSize: 8, inputScale: "sum" as "mean" }), /inputScale/);
  });

  test("with the paper's vec(A)/M input and the default init every fg–fg similarity saturates the clamp; unscaled input does not", () => {
    // Documents why inputScale exists: the image-dependent part of z is ~1/M of the bias part.
    const sims = (inputScale: "mean" | "none") => {
      using head = new FBAContrastiveHead({ patchSize: [16, 16, 16], inputScale, generator: gen(3) });
      return tidy(() => {
        const out = head.forward(randn([4, 2, 16, 16, 16], { generator: gen(4) }).mul(3));
        const s = cosineSimilarityMatrix(out.foreground, out.foreground).toArray();
        return s.filter((_, i) => i % 5 !== 0); // off-diagonal
      });
    };
    assert.ok(Math.min(...sims("mean")) > 0.9995);
    assert.ok(Math.min(...sims("none")) < 0.99);
  });

  test("rank weights: exp(−α(r − 1)) by descending similarity per row, excluded entries last", () => {
    tidy(() => {
      const s = tensor([0.2, 0.9, 0.5, 0.7, 0.1, 0.3], [2, 3], f64);
      const w = rankWeights(s, 1).toArray();
      const e = Math.exp;
      assert.deepEqual(w.map((v) => +v.toFixed(12)), [e(-2), 1, e(-1), 1, e(-2), e(-1)].map((v) => +v.toFixed(12)));
      const excl = tensor([true, false, false, false, true, false], [2, 3]);
      const w2 = rankWeights(s, 1, excl).toArray();
      assert.deepEqual(w2.map((v) => +v.toFixed(12)), [e(-2), 1, e(-1), 1, e(-2), e(-1)].map((v) => +v.toFixed(12)), "excluded entries rank last");
      const w3 = rankWeights(tensor([0.9, 0.2, 0.5], [1, 3], f64), 1, tensor([true, false, false], [1, 3])).toArray();
      assert.deepEqual(w3.map((v) => +v.toFixed(12)), [e(-2), e(-1), 1].map((v) => +v.toFixed(12)));
    });
  });

  test("the positive term pulls embeddings together and the negative term pushes them apart", () => {
    tidy(() => {
      const x = randn([4, 6], { ...f64, generator: gen(5) }).add(1).setRequiresGrad(true);
      const y = randn([4, 6], { ...f64, generator: gen(6) }).add(1);
      const meanCos = (a: Tensor, b: Tensor) => cosineSimilarityMatrix(a, b).mean().item();
      const step = (loss: Tensor) => noGrad(() => x.sub((grad([loss], [x])[0] as Tensor).mul(0.5)));
      const pulled = step(rankWeightedSimilarityLoss(x, null, { kind: "positive" }));
      assert.ok(meanCos(pulled, pulled) > meanCos(x, x));
      const pushed = step(rankWeightedSimilarityLoss(x, y, { kind: "negative" }));
      assert.ok(meanCos(pushed, y) < meanCos(x, y));
    });
  });

  test("one image: the positive terms have no pair and are exactly 0 with a zero gradient", () => {
    expectNoLeak(() =>
      tidy(() => {
        const f = randn([1, 4], f64).setRequiresGrad(true);
        const b = randn([1, 4], f64).setRequiresGrad(true);
        const t = fbaContrastiveLoss({ foreground: f, background: b });
        assert.ok(t.foreground.item() === 0 && t.background.item() === 0); // ±0
        assert.ok(t.negative.item() > 0, "f_0 vs b_0 is still a negative pair");
        const [gf] = grad([t.foreground], [f]);
        assert.ok(gf?.toArray().every((v) => v === 0));
      }),
    );
  });

  test("the diagonal default: excluded for a set against itself, kept for two sets", () => {
    tidy(() => {
      const x = randn([3, 4], { ...f64, generator: gen(7) }).add(1);
      const self = rankWeightedSimilarityLoss(x, null, { kind: "positive" }).item();
      assert.equal(rankWeightedSimilarityLoss(x, x, { kind: "positive" }).item(), self, "y === x counts as the same set");
      assert.notEqual(rankWeightedSimilarityLoss(x, x.clone(), { kind: "positive" }).item(), self, "a copy is another set: diagonal kept");
      assert.equal(rankWeightedSimilarityLoss(x, x.clone(), { kind: "positive", excludeDiagonal: true }).item(), self);
    });
  });

  test("argument errors", () => {
    tidy(() => {
      const x = randn([3, 4]);
      assert.throws(() => rankWeightedSimilarityLoss(randn([3]), null, { kind: "positive" }), ShapeError);
      assert.throws(() => rankWeightedSimilarityLoss(x, randn([3, 5]), { kind: "negative" }), /same embedding size/);
      assert.throws(() => rankWeightedSimilarityLoss(x, randn([2, 4]), { kind: "negative", excludeDiagonal: true }), /square/);
      assert.throws(() => rankWeightedSimilarityLoss(x, null, { kind: "neutral" as "positive" }), /kind/);
      assert.throws(() => rankWeightedSimilarityLoss(x, null, { kind: "positive", clampMin: 0 }), /clampMin/);
      assert.throws(() => fbaContrastiveLoss({ foreground: x, background: randn([2, 4]) }), /same shape/);
    });
  });

  test("schedules: sigmoid ramp-up and FBA-Net+'s iteration // 150 weight", () => {
    assert.equal(sigmoidRampup(40, 40), 1);
    assert.equal(sigmoidRampup(0, 0), 1);
    assert.equal(sigmoidRampup(0, 40), Math.exp(-5));
    assert.equal(consistencyWeight(149), Math.exp(-5));
    assert.equal(consistencyWeight(150), Math.exp(-5 * (1 - 1 / 40) ** 2));
    assert.equal(consistencyWeight(100, { rampupLength: 10, iterationsPerStep: 10, maxWeight: 0.1 }), 0.1);
    assert.throws(() => sigmoidRampup(1, -1), RangeError);
    assert.throws(() => consistencyWeight(-1), RangeError);
    assert.throws(() => consistencyWeight(1, { iterationsPerStep: 0 }), RangeError);
  });
});

describe("consistency", () => {
  test("sharpen: 2-class softmax and binary sigmoid agree; sums stay 1; T = 1 is the identity", () => {
    tidy(() => {
      const logits = randn([2, 2, 3, 3], { ...f64, generator: gen(8) });
      const p = logits.softmax(1);
      const s2 = sharpen(p, 0.1);
      const s1 = sharpen(p.slice(1, 1), 0.1);
      assert.ok(s2.slice(1, 1).sub(s1).abs().max().item() < 1e-12);
      assert.ok(s2.sum(1).sub(1).abs().max().item() < 1e-12);
      assert.ok(sharpen(p, 1).sub(p).abs().max().item() < 1e-12);
      // Extreme inputs: 1/T = 100 powers of tiny probabilities stay finite.
      const extreme = tensor([1e-30, 1 - 1e-30, 0.5, 0.5], [2, 2, 1], f64);
      assert.ok(sharpen(extreme, 0.01).toArray().every(Number.isFinite));
    });
  });

  test("the consistency target receives no gradient", () => {
    expectNoLeak(() =>
      tidy(() => {
        const pred = randn([2, 2, 3, 3, 2], f64).setRequiresGrad(true);
        const target = randn([2, 2, 3, 3, 2], f64).setRequiresGrad(true);
        const [gp, gt] = grad([sharpenedConsistencyLoss(pred, target)], [pred, target], { allowUnused: true });
        assert.ok(gp && gp.abs().sum().item() > 0);
        assert.equal(gt, null, "no path from the loss to the target logits");
        const [, gTeacher] = grad([softmaxMSELoss(pred, target)], [pred, target], { allowUnused: true });
        assert.equal(gTeacher, null, "mean teacher: no gradient into the teacher");
      }),
    );
  });

  test("mutual consistency of two decoders: each decoder's gradient comes only from its own prediction term", () => {
    tidy(() => {
      const a = randn([2, 2, 3, 3, 2], f64).setRequiresGrad(true);
      const b = randn([2, 2, 3, 3, 2], f64).setRequiresGrad(true);
      const [ga] = grad([mutualConsistencyLoss([a, b])], [a]);
      // (T(a←b) + T(b←a)) / 2: a is only the target in the second term, which must contribute nothing.
      const [own] = grad([sharpenedConsistencyLoss(a, b).div(2)], [a]);
      assert.ok((ga as Tensor).sub(own as Tensor).abs().max().item() < 1e-15);
    });
  });

  test("softmax MSE with a mask excluding everything is exactly 0 with a zero gradient", () => {
    tidy(() => {
      const s = randn([2, 3, 2, 2, 2], f64).setRequiresGrad(true);
      const loss = softmaxMSELoss(s, randn([2, 3, 2, 2, 2], f64), { mask: zeros([2, 2, 2, 2]) });
      assert.equal(loss.item(), 0);
      assert.equal((grad([loss], [s])[0] as Tensor).abs().sum().item(), 0);
    });
  });

  test("argument errors", () => {
    tidy(() => {
      assert.throws(() => mutualConsistencyLoss([randn([1, 2, 2, 2])]), /at least 2/);
      assert.throws(() => mutualConsistencyLoss([randn([1, 2, 2, 2]), randn([1, 2, 2, 3])]), ShapeError);
      assert.throws(() => sharpen(randn([1, 2, 2]).softmax(1), 0), /temperature/);
      assert.throws(() => softmaxMSELoss(randn([1, 2, 2, 2]), randn([1, 2, 2, 2]), { mask: zeros([1, 3, 2]) }), ShapeError);
    });
  });
});

describe("two sub-networks", () => {
  test("verification: identical networks never disagree, the loss is 0 with a zero gradient", () => {
    tidy(() => {
      const a = randn([2, 2, 3, 3, 2], f64).mul(3).setRequiresGrad(true);
      const t = verificationLoss(a, a, randint(0, 2, [2, 3, 3, 2]));
      assert.equal(t.loss.item(), 0);
      assert.equal((grad([t.loss], [a])[0] as Tensor).abs().sum().item(), 0);
      assert.throws(() => verificationLoss(a, a, randint(0, 2, [2, 3, 3, 2]), { threshold: 1.5 }), /threshold/);
      assert.throws(() => verificationLoss(a.slice(1, 0, 1), a.slice(1, 0, 1), randint(0, 2, [2, 3, 3, 2])), ShapeError);
    });
  });

  test("selectWinner: the lower loss wins, A on a tie, tensors accepted, NaN refused", () => {
    assert.deepEqual(selectWinner(0.3, 0.2), { winner: 1, loser: 0 });
    assert.deepEqual(selectWinner(0.2, 0.2), { winner: 0, loser: 1 });
    tidy(() => assert.deepEqual(selectWinner(tensor(0.1), tensor(0.4)), { winner: 0, loser: 1 }));
    assert.throws(() => selectWinner(Number.NaN, 0.1), /finite/);
  });

  test("union pseudo-labels: foreground wins over background, fractions 0 and 1, ignore index outside the classes", () => {
    tidy(() => {
      // (N=1, C=2, 3 voxels). Voxel 0: A says bg, B fg -> fg. Voxel 1: A fg, B bg -> fg. Voxel 2: both bg.
      const la = tensor([3, -3, 3, /* class 1: */ -3, 3, -3], [1, 2, 3], f64);
      const lb = tensor([-3, 3, 3, /* class 1: */ 3, -3, -3], [1, 2, 3], f64);
      const all = unionPseudoLabels(la, lb, { reliableFraction: 1 });
      assert.deepEqual(all.union.toArray(), [1, 1, 0]);
      assert.deepEqual(all.labels.toArray(), [1, 1, 0]);
      const none = unionPseudoLabels(la, lb, { reliableFraction: 0 });
      assert.deepEqual(none.labels.toArray(), [255, 255, 255]);
      assert.deepEqual(none.reliable.toArray(), [0, 0, 0]);
      assert.throws(() => unionPseudoLabels(la, lb, { ignoreIndex: 1 }), /outside the class range/);
      assert.throws(() => unionPseudoLabels(la, lb, { reliableFraction: 1.2 }), /reliableFraction/);
    });
  });

  test("union pseudo-labels carry no gradient; entropy is 0 for one-hot-like and log C for uniform predictions", () => {
    tidy(() => {
      const la = randn([2, 3, 4, 4], f64).setRequiresGrad(true);
      const p = unionPseudoLabels(la, randn([2, 3, 4, 4], f64));
      assert.equal(p.confidence.requiresGrad, false);
      const h = softmaxEntropy(tensor([0, 0, 0, 100, -100, -100], [2, 3, 1], f64)).toArray();
      assert.ok(Math.abs((h[0] as number) - Math.log(3)) < 1e-12 && (h[1] as number) < 1e-40);
    });
  });

  test("reliable cross-entropy with no reliable voxel is exactly 0", () => {
    tidy(() => {
      const logits = randn([1, 2, 3, 3], f64).setRequiresGrad(true);
      const pseudo = unionPseudoLabels(logits, randn([1, 2, 3, 3], f64), { reliableFraction: 0 });
      const loss = reliableCrossEntropy(logits, pseudo, { weighting: "confidence" });
      assert.equal(loss.item(), 0);
      assert.equal((grad([loss], [logits])[0] as Tensor).abs().sum().item(), 0);
    });
  });

  test("the prototype term pushes the prototypes apart: a gradient step lowers their cosine similarity", () => {
    expectNoLeak(() =>
      tidy(() => {
        const g = gen(9);
        const features = randn([2, 6, 4, 4, 3], { ...f64, generator: g }).add(1).setRequiresGrad(true);
        const reliable = where(rand([2, 4, 4, 3], { generator: g }).lt(0.3), 255, randint(0, 2, [2, 4, 4, 3], { generator: g }));
        const candidates = randint(0, 2, [2, 4, 4, 3], { generator: g });
        const before = prototypeContrastiveLoss(features, reliable, candidates, { numClasses: 2 });
        const cos = (mu: Tensor) => normalize(mu, 2, 1).matmul(normalize(mu, 2, 1).transpose(0, 1)).toArray()[1] as number;
        const [gf] = grad([before.loss], [features]);
        const stepped = noGrad(() => features.sub((gf as Tensor).mul(0.5)));
        const after = prototypeContrastiveLoss(stepped, reliable, candidates, { numClasses: 2 });
        assert.ok(cos(after.prototypes) < cos(before.prototypes), `cos(f̄, b̄) ${cos(before.prototypes)} -> ${cos(after.prototypes)}`);
        assert.ok(after.push.item() < before.push.item());
        assert.deepEqual(before.present, [true, true]);
        // The pull alone moves the unreliable voxels towards their (fixed) prototypes.
        const pullOnly = (x: Tensor) => prototypeContrastiveLoss(x, reliable, candidates, { numClasses: 2, pushWeight: 0 }).pull;
        const [gp] = grad([pullOnly(features)], [features]);
        assert.ok(pullOnly(noGrad(() => features.sub((gp as Tensor).mul(0.5)))).item() < pullOnly(features).item());
      }),
    );
  });

  test("prototype loss: the gradient reaches the features, reliable voxels through the push, unreliable ones through the pull", () => {
    tidy(() => {
      const features = randn([1, 3, 2, 2, 2], f64).add(0.5).setRequiresGrad(true);
      const reliable = tensor([0, 1, 255, 255, 0, 1, 255, 1], [1, 2, 2, 2], { dtype: "int64" });
      const candidates = tensor([0, 0, 1, 0, 0, 0, 0, 0], [1, 2, 2, 2], { dtype: "int64" });
      const t = prototypeContrastiveLoss(features, reliable, candidates, { numClasses: 2 });
      const g = (grad([t.loss], [features])[0] as Tensor).abs().sum(1).flatten().toArray();
      assert.ok(g.every((v) => v > 0), `every voxel gets a gradient: ${g}`);
      const pullOnly = prototypeContrastiveLoss(features, reliable, candidates, { numClasses: 2, pushWeight: 0 });
      const gp = (grad([pullOnly.loss], [features])[0] as Tensor).abs().sum(1).flatten().toArray();
      assert.deepEqual(gp.map((v) => v > 0), [false, false, true, true, false, false, true, false], "detached anchors: the pull moves only unreliable voxels");
    });
  });

  test("prototype loss with a missing class or no unreliable voxel: the empty terms are exactly 0", () => {
    tidy(() => {
      const features = randn([1, 3, 2, 2, 2], f64).setRequiresGrad(true);
      const onlyBg = tensor([0, 0, 255, 255, 0, 0, 255, 0], [1, 2, 2, 2], { dtype: "int64" });
      const cand = full([1, 2, 2, 2], 1, { dtype: "int64" });
      const t = prototypeContrastiveLoss(features, onlyBg, cand, { numClasses: 2 });
      assert.deepEqual(t.present, [true, false]);
      assert.equal(t.push.item(), 0);
      assert.equal(t.pull.item(), 0, "the candidates' class has no prototype");
      const allReliable = prototypeContrastiveLoss(features, tensor([0, 1, 0, 1, 0, 1, 0, 1], [1, 2, 2, 2], { dtype: "int64" }), cand, { numClasses: 2 });
      assert.equal(allReliable.pull.item(), 0);
      assert.ok(allReliable.push.item() > 0);
      assert.throws(() => prototypeContrastiveLoss(features, full([1, 2, 2, 2], 5, { dtype: "int64" }), cand, { numClasses: 2 }), /\[0, 2\)/);
      assert.throws(() => prototypeContrastiveLoss(features, onlyBg, cand, { numClasses: 1 }), /numClasses/);
      assert.throws(() => prototypeContrastiveLoss(features, onlyBg.reshape([1, 8]), cand, { numClasses: 2 }), ShapeError);
    });
  });
});

describe("baselines", () => {
  test("cross pseudo supervision trains each network only through its own logits", () => {
    tidy(() => {
      const a = randn([2, 3, 3, 3], f64).setRequiresGrad(true);
      const b = randn([2, 3, 3, 3], f64).setRequiresGrad(true);
      const t = crossPseudoSupervisionLoss(a, b);
      const [gaOfB] = grad([t.b], [a], { allowUnused: true });
      assert.equal(gaOfB, null, "B's term (taught by argmax A) does not reach A");
      assert.equal(hardPseudoLabels(a).requiresGrad, false);
      assert.equal(hardPseudoLabels(a).dtype, "int64");
    });
  });

  test("cuboid mask: 2/3 of each side, inside the grid, the same for the same seed", () => {
    const draws = (seed: number) =>
      tidy(() => {
        const g = gen(seed);
        return Array.from({ length: 4 }, () => {
          const { mask, box } = cuboidMask([12, 9, 7], { generator: g });
          return { box, count: mask.to("int64").sum().item(), mask: mask.toArray() };
        });
      });
    const a = draws(42);
    const b = draws(42);
    assert.deepEqual(a, b, "same seed, same sequence of masks");
    assert.notDeepEqual(a.map((d) => d.box), draws(43).map((d) => d.box));
    for (const { box, count } of a) {
      assert.deepEqual(box.size, [8, 6, 4]);
      assert.equal(count, 8 * 6 * 4);
      box.start.forEach((s, i) => assert.ok(s >= 0 && s + (box.size[i] as number) <= ([12, 9, 7][i] as number)));
    }
    tidy(() => {
      const { box } = cuboidMask([3, 3, 3], { ratio: [1, 0.1, 0.5], generator: gen(1) });
      assert.deepEqual(box, { start: [0, box.start[1], box.start[2]], size: [3, 1, 1] });
    });
    assert.throws(() => cuboidMask([4, 4, 0]), /shape/);
    assert.throws(() => cuboidMask([4, 4, 4], { ratio: 0 }), /ratio/);
  });

  test("copy-paste with one mask per sample, and the region weights", () => {
    expectNoLeak(() =>
      tidy(() => {
        const xl = full([2, 1, 2, 2, 2], 1, f64);
        const xu = full([2, 1, 2, 2, 2], 2, f64);
        const yl = full([2, 2, 2, 2], 1, { dtype: "int64" });
        const yu = full([2, 1, 2, 2, 2], 2, { dtype: "int32" });
        const mask = tensor([...Array(8).fill(true), ...Array(8).fill(false)], [2, 2, 2, 2]);
        const m = copyPasteMix({ labelledImages: xl, labelledLabels: yl, unlabelledImages: xu, unlabelledLabels: yu, mask, unlabelledWeight: 0.25 });
        assert.deepEqual(m.labelledIntoUnlabelled.images.toArray(), [...Array(8).fill(1), ...Array(8).fill(2)]);
        assert.deepEqual(m.labelledIntoUnlabelled.labels.toArray(), [...Array(8).fill(1), ...Array(8).fill(2)]);
        assert.deepEqual(m.labelledIntoUnlabelled.weights.toArray(), [...Array(8).fill(1), ...Array(8).fill(0.25)]);
        assert.deepEqual(m.unlabelledIntoLabelled.weights.toArray(), [...Array(8).fill(0.25), ...Array(8).fill(1)]);
        assert.equal(m.unlabelledIntoLabelled.weights.dtype, "float64");
        assert.throws(() => copyPasteMix({ labelledImages: xl, labelledLabels: yl, unlabelledImages: xu, unlabelledLabels: yu, mask: mask.to("int64") }), /bool/);
        assert.throws(() => copyPasteMix({ labelledImages: xl, labelledLabels: yl, unlabelledImages: xu, unlabelledLabels: yu, mask: mask.slice(1, 0, 1) }), ShapeError);
        return null;
      }),
    );
  });

  test("largest component per image and class; 6- vs 26-connectivity; (N, 1, D, H, W) kept", () => {
    tidy(() => {
      // Image 0: a 2-voxel blob and a diagonal neighbour of class 1. Image 1: two separate class-2 voxels and one class-1.
      const img0 = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0];
      const img1 = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 2];
      const labels = tensor([...img0, ...img1], [2, 1, 2, 3, 3], { dtype: "int64" });
      const out = largestComponentLabels(labels);
      assert.deepEqual(out.shape, [2, 1, 2, 3, 3]);
      assert.equal(out.dtype, "int64");
      const v = out.toArray();
      assert.deepEqual(v.slice(0, 18), img0, "26-connected: the diagonal voxels form one component");
      assert.deepEqual(v.slice(18), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 2], "the lone class-2 voxel goes; class 1 keeps its only component");
      const six = largestComponentLabels(labels, { connectivity: 6 }).toArray();
      assert.equal(six.slice(0, 18).filter((x) => x === 1).length, 1, "6-connected: three single voxels, one kept");
      assert.throws(() => largestComponentLabels(labels.to("float32")), /integer/);
      assert.throws(() => largestComponentLabels(labels.reshape([2, 18])), ShapeError);
    });
  });
});

describe("no tensor leaks (outside any scope: every returned tensor disposed by hand)", () => {
  /** Disposes every tensor reachable from v (objects, arrays). */
  const free = (...vs: unknown[]): void => {
    for (const v of vs) {
      if (v && typeof v === "object") {
        if ("dispose" in v && "isDisposed" in v) (v as Tensor).dispose();
        else for (const e of Object.values(v)) free(e);
      }
    }
  };
  const cases: [string, () => void][] = [
    [
      "FBA head + contrastive loss + backward",
      () => {
        using head = new FBAContrastiveHead({ patchSize: [4, 4, 4], hiddenDim: 4, embeddingDim: 3, inputScale: "none" });
        const x = randn([3, 2, 4, 4, 4]).setRequiresGrad(true);
        const out = head.forward(x);
        const t = fbaContrastiveLoss(out);
        t.loss.backward();
        free(x, out, t);
      },
    ],
    [
      "mutual consistency + backward",
      () => {
        const ls = [0, 1, 2].map(() => randn([2, 2, 4, 4, 4]).setRequiresGrad(true));
        const loss = mutualConsistencyLoss(ls);
        loss.backward();
        free(ls, loss);
      },
    ],
    [
      "two-subnetwork step (verification, pseudo-labels, CE, prototypes) + backward",
      () => {
        const a = randn([2, 2, 4, 4, 4]).setRequiresGrad(true);
        const b = randn([2, 2, 4, 4, 4]).setRequiresGrad(true);
        const feats = randn([2, 5, 4, 4, 4]).setRequiresGrad(true);
        const y = randint(0, 2, [2, 4, 4, 4]);
        const v = verificationLoss(a, b, y);
        const p = unionPseudoLabels(a, b);
        const w = hardPseudoLabels(b);
        const pr = prototypeContrastiveLoss(feats, p.labels, w, { numClasses: 2 });
        const total = tidy(() => v.loss.mul(0.5).add(reliableCrossEntropy(a, p)).add(reliableCrossEntropy(b, p)).add(pr.loss));
        total.backward();
        free(a, b, feats, y, v, p, w, pr, total);
      },
    ],
    [
      "CPS, softmax MSE, copy-paste and largest component",
      () => {
        const a = randn([2, 2, 4, 4, 4]).setRequiresGrad(true);
        const b = randn([2, 2, 4, 4, 4]).setRequiresGrad(true);
        const cps = crossPseudoSupervisionLoss(a, b);
        const mse = softmaxMSELoss(a, b);
        const total = cps.loss.add(mse);
        total.backward();
        const { mask } = cuboidMask([4, 4, 4], { generator: gen(0) });
        const inputs = { labelledImages: randn([2, 1, 4, 4, 4]), labelledLabels: randint(0, 2, [2, 4, 4, 4]), unlabelledImages: randn([2, 1, 4, 4, 4]) };
        const hard = hardPseudoLabels(b);
        const lcc = largestComponentLabels(hard);
        const m = copyPasteMix({ ...inputs, unlabelledLabels: lcc, mask });
        free(a, b, cps, mse, total, mask, inputs, hard, lcc, m);
      },
    ],
  ];
  for (const [name, fn] of cases) test(name, () => expectNoLeak(fn, name));
});
