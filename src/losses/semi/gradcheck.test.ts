// Float64 central-difference checks of the contrastive losses: the gradient autograd reports is
// the true derivative, and it is not zero — the published FBA-Net and two-subnetwork code computed
// these terms without gradient, so they trained nothing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FBAContrastiveHead } from "../../nn/index.js";
import { type Tensor, Generator, grad, memory, noGrad, rand, randint, randn, setNumThreads, tensor, tidy, where } from "../../tensor/index.js";
import { fbaContrastiveLoss, prototypeContrastiveLoss, rankWeightedSimilarityLoss, verificationLoss } from "./index.js";

// Tiny tensors: intra-op threads only add hand-offs (tens of ms per call on a busy machine).
setNumThreads(1);

const EPS = 1e-6;
const RTOL = 1e-6;
const ATOL = 1e-9;

/**
 * Compares autograd with central differences of f at x, on the elements `only` selects (all by
 * default), and returns the largest |gradient| seen so callers can insist it is not zero.
 */
function gradcheck(f: (x: Tensor) => Tensor, x0: Tensor, only?: (i: number) => boolean): number {
  const before = memory().liveTensors;
  let largest = 0;
  tidy(() => {
    const data = x0.dataSync() as Float64Array;
    const shape = [...x0.shape];
    const at = (values: Float64Array): number => tidy(() => noGrad(() => f(tensor(values, shape, { dtype: "float64" })).item()));
    const leaf = tensor(data, shape, { dtype: "float64", requiresGrad: true });
    const [g] = grad([f(leaf)], [leaf], { allowUnused: true });
    assert.ok(g, "the loss does not depend on the input at all");
    const analytic = g.dataSync() as Float64Array;
    for (let j = 0; j < data.length; j++) {
      if (only && !only(j)) continue;
      const plus = data.slice();
      const minus = data.slice();
      plus[j] = (data[j] as number) + EPS;
      minus[j] = (data[j] as number) - EPS;
      const numeric = (at(plus) - at(minus)) / (2 * EPS);
      const a = analytic[j] as number;
      largest = Math.max(largest, Math.abs(a));
      assert.ok(Math.abs(a - numeric) <= ATOL + RTOL * Math.max(Math.abs(numeric), Math.abs(a), 1), `element ${j}: autograd ${a}, finite difference ${numeric}`);
    }
  });
  assert.equal(memory().liveTensors, before, "gradcheck leaked native tensors");
  return largest;
}

/** Embeddings around a common direction, so that similarities fall inside the clamps. */
function embeddings(b: number, e: number, seed: number): Tensor {
  const gen = new Generator(seed);
  return tidy(() => randn([b, e], { dtype: "float64", generator: gen }).add(1.2));
}

describe("FBA-Net contrastive losses: gradients match float64 central differences", () => {
  test("positive (self) term, diagonal excluded, gradient into the embeddings", () => {
    using x = embeddings(5, 4, 1);
    assert.ok(gradcheck((z) => rankWeightedSimilarityLoss(z, null, { kind: "positive" }), x) > 1e-3);
  });

  test("negative term between two sets, gradient into both", () => {
    using x = embeddings(4, 5, 2);
    using y = embeddings(4, 5, 3);
    assert.ok(gradcheck((z) => rankWeightedSimilarityLoss(z, y, { kind: "negative" }), x) > 1e-3);
    assert.ok(gradcheck((z) => rankWeightedSimilarityLoss(x, z, { kind: "negative" }), y) > 1e-3);
  });

  test("L_contra through the FBA head: the gradient reaches the segmentation logits", () => {
    using head = new FBAContrastiveHead({ patchSize: [2, 3, 3], hiddenDim: 6, embeddingDim: 5, inputScale: "none", dtype: "float64", generator: new Generator(4) });
    using logits = tidy(() => randn([3, 2, 2, 3, 3], { dtype: "float64", generator: new Generator(5) }).mul(2));
    // Every third element keeps the check under two seconds; all images and both channels are hit.
    const largest = gradcheck((z) => tidy(() => fbaContrastiveLoss(head.forward(z)).loss), logits, (j) => j % 3 === 0);
    assert.ok(largest > 1e-4, `largest |d loss / d logits| is ${largest}`);
  });
});

describe("two-subnetwork losses: gradients match float64 central differences", () => {
  function prototypeInputs(classes: number, seed: number) {
    const gen = new Generator(seed);
    const shape = [2, 3, 3, 2];
    const features = randn([2, 4, 3, 3, 2], { dtype: "float64", generator: gen }).add(0.4);
    const unreliable = rand(shape, { generator: gen }).lt(0.4);
    const reliable = where(unreliable, 255, randint(0, classes, shape, { generator: gen }));
    const candidates = randint(0, classes, shape, { generator: gen });
    return { features, reliable, candidates, unreliable };
  }

  for (const classes of [2, 3]) {
    test(`prototype loss, ${classes} classes, prototypes not detached: full derivative`, () => {
      const inp = tidy(() => prototypeInputs(classes, 10 + classes));
      const f = (z: Tensor) => tidy(() => prototypeContrastiveLoss(z, inp.reliable, inp.candidates, { numClasses: classes, detachPullTargets: false }).loss);
      assert.ok(gradcheck(f, inp.features) > 1e-3);
      for (const t of Object.values(inp)) t.dispose();
    });

    test(`prototype loss, ${classes} classes, default detached anchors: derivative at the unreliable voxels`, () => {
      // Moving an unreliable voxel leaves every prototype unchanged, so there the derivative of
      // the detached loss is the true one; at reliable voxels it deliberately omits the anchor path.
      const inp = tidy(() => prototypeInputs(classes, 20 + classes));
      const voxels = 2 * 3 * 3 * 2;
      const unreliable = inp.unreliable.toArray();
      // features are (N, D, ...spatial): element j belongs to voxel (n, s).
      const isUnreliable = (j: number) => {
        const n = Math.floor(j / (4 * (voxels / 2)));
        const s = j % (voxels / 2);
        return unreliable[n * (voxels / 2) + s] === 1;
      };
      const f = (z: Tensor) => tidy(() => prototypeContrastiveLoss(z, inp.reliable, inp.candidates, { numClasses: classes }).loss);
      assert.ok(gradcheck(f, inp.features, isUnreliable) > 1e-3);
      for (const t of Object.values(inp)) t.dispose();
    });
  }

  test("verification loss: derivative with respect to both networks' logits", () => {
    const gen = new Generator(30);
    const [a, b, labels] = tidy(() => [randn([2, 3, 3, 3, 2], { dtype: "float64", generator: gen }).mul(2.5), randn([2, 3, 3, 3, 2], { dtype: "float64", generator: gen }).mul(2.5), randint(0, 3, [2, 3, 3, 2], { generator: gen })]);
    assert.ok(gradcheck((z) => verificationLoss(z, b, labels).loss, a) > 1e-3);
    assert.ok(gradcheck((z) => verificationLoss(a, z, labels).loss, b) > 1e-3);
    for (const t of [a, b, labels]) t.dispose();
  });
});
