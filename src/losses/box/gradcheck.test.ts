// Float64 central-difference gradient checks of the box losses on tiny inputs. Where a full check
// would be slow (the shape prior), every element with a non-zero analytic gradient and a random
// sample of the others are checked.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Tensor, Generator, grad, memory, noGrad, rand, randn, setNumThreads, tensor, tidy } from "../../tensor/index.js";
import {
  boxAreaLoss,
  boxContrastiveLoss,
  boxMasks,
  chamferDistance,
  geometricPriorLoss,
  pairwiseLoss,
  projectionLoss,
  supConLoss,
} from "./index.js";

setNumThreads(1); // tiny tensors: intra-op threads only add hand-offs

const EPS = 1e-6;
const RTOL = 1e-6;
const ATOL = 1e-8;

/**
 * Compares autograd with central differences of `f` at `x0` on the elements `pick` chooses
 * (all by default).
 */
function gradcheck(f: (x: Tensor) => Tensor, x0: Tensor, pick?: (analytic: Float64Array) => number[]): void {
  const before = memory().liveTensors;
  tidy(() => {
    const shape = [...x0.shape];
    const data = x0.dataSync() as Float64Array;
    const at = (values: Float64Array): number => tidy(() => noGrad(() => f(tensor(values, shape, { dtype: "float64" })).item()));
    const leaf = tensor(data, shape, { dtype: "float64", requiresGrad: true });
    const loss = f(leaf);
    assert.equal(loss.dtype, "float64");
    const [g] = grad([loss], [leaf], { allowUnused: true });
    const analytic = g ? (g.dataSync() as Float64Array) : new Float64Array(data.length);
    const elements = pick ? pick(analytic) : Array.from({ length: data.length }, (_, i) => i);
    assert.ok(elements.length > 0);
    for (const j of elements) {
      const plus = data.slice();
      const minus = data.slice();
      plus[j] = (data[j] as number) + EPS;
      minus[j] = (data[j] as number) - EPS;
      const numeric = (at(plus) - at(minus)) / (2 * EPS);
      const a = analytic[j] as number;
      assert.ok(Math.abs(a - numeric) <= ATOL + RTOL * Math.max(Math.abs(numeric), Math.abs(a), 1), `element ${j}: autograd ${a}, finite difference ${numeric}`);
    }
  });
  assert.equal(memory().liveTensors, before, "gradcheck leaked native tensors");
}

/** Every element with a non-zero gradient (at most `max`) and `others` random ones. */
function nonZeroAndSome(max: number, others: number, seed: number): (g: Float64Array) => number[] {
  return (g) => {
    const nz = [...g.keys()].filter((i) => g[i] !== 0);
    let s = seed;
    const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
    const stride = Math.max(1, Math.floor(nz.length / max));
    const chosen = nz.filter((_, i) => i % stride === 0).slice(0, max);
    for (let i = 0; i < others; i++) chosen.push(Math.floor(next() * g.length));
    return [...new Set(chosen)];
  };
}

const SHAPE = [4, 5, 6] as const;
const BOXES = [[{ value: 1, min: [1, 1, 1], max: [3, 4, 5] }, { value: 2, min: [0, 2, 0], max: [4, 5, 3] }], [{ value: 2, min: [2, 0, 2], max: [4, 3, 6] }]] as const;
const masks = (dtype: "float64" | "float32" = "float64") => boxMasks(BOXES as never, SHAPE, { channels: 2, dtype }).mask;
const gen = (seed: number) => new Generator(seed);

describe("box loss gradients match float64 central differences", () => {
  test("projectionLoss, 1-D profiles, softmax", () => {
    tidy(() => gradcheck((x) => projectionLoss(x, masks()), randn([2, 3, ...SHAPE], { dtype: "float64", generator: gen(1) })));
  });

  test("projectionLoss, 2-D planes, sigmoid, absent organs penalised with weights", () => {
    tidy(() => {
      const weights = tensor([1, 0.5, 2, 1], [2, 2], { dtype: "float64" });
      gradcheck((x) => projectionLoss(x, masks(), { activation: "sigmoid", projection: "plane", absent: "penalise", weights }), randn([2, 2, ...SHAPE], { dtype: "float64", generator: gen(2) }));
    });
  });

  test("pairwiseLoss with the embedding affinity (softmax, global normalisation)", () => {
    tidy(() => {
      const embedding = randn([2, 4, ...SHAPE], { dtype: "float64", generator: gen(3) }).add(0.8).normalize(2, 1);
      gradcheck(
        (x) => pairwiseLoss(x, masks(), { affinity: { kind: "embedding", embedding }, threshold: 0.5 }),
        randn([2, 3, ...SHAPE], { dtype: "float64", generator: gen(4) }),
        nonZeroAndSome(60, 20, 3),
      );
    });
  });

  test("pairwiseLoss with the intensity affinity (sigmoid, dilated box, per-box normalisation)", () => {
    tidy(() => {
      const image = rand([2, 1, ...SHAPE], { dtype: "float64", generator: gen(5) });
      const opts = { affinity: { kind: "intensity", image } as const, threshold: 0.8, activation: "sigmoid" as const, boxDilation: 1, normalization: "box" as const };
      gradcheck((x) => pairwiseLoss(x, masks(), opts), randn([2, 2, ...SHAPE], { dtype: "float64", generator: gen(6) }), nonZeroAndSome(60, 20, 4));
    });
  });

  test("supConLoss with respect to the features", () => {
    tidy(() => {
      const labels = tensor([0, 1, 1, 2, 0, 2, 1, 0], [8], { dtype: "int64" });
      gradcheck((x) => supConLoss(x, labels, { temperature: 0.3 }), randn([8, 5], { dtype: "float64", generator: gen(7) }));
    });
  });

  test("boxContrastiveLoss (coarse) with respect to the embedding, same draws every call", () => {
    tidy(() => {
      const m = masks();
      gradcheck(
        (x) => boxContrastiveLoss(x, m, { perLabel: 3, generator: gen(8), temperature: 0.5 }),
        randn([2, 3, ...SHAPE], { dtype: "float64", generator: gen(9) }),
        nonZeroAndSome(60, 20, 1),
      );
    });
  });

  test("chamferDistance with respect to both clouds", () => {
    tidy(() => {
      const y = randn([9, 3], { dtype: "float64", generator: gen(10) });
      gradcheck((x) => chamferDistance(x, y), randn([12, 3], { dtype: "float64", generator: gen(11) }));
      const x = randn([12, 3], { dtype: "float64", generator: gen(12) });
      gradcheck((yy) => chamferDistance(x, yy), y);
    });
  });

  test("boxAreaLoss (softmax, θ above some boxes' fraction)", () => {
    tidy(() => gradcheck((x) => boxAreaLoss(x, masks(), { threshold: 0.4 }), randn([2, 3, ...SHAPE], { dtype: "float64", generator: gen(13) })));
  });

  test("geometricPriorLoss through the zero crossings (softmax logits, fixed box placement)", () => {
    tidy(() => {
      // A ball-shaped organ logit in a 9³ patch plus noise, so the surface is cut by many edges.
      const S = 9;
      const field = new Float64Array(2 * S * S * S);
      const noise = rand([S * S * S], { dtype: "float64", generator: gen(14) }).dataSync() as Float64Array;
      for (let i = 0; i < S ** 3; i++) {
        const z = Math.floor(i / (S * S)), y = Math.floor(i / S) % S, x = i % S;
        field[S ** 3 + i] = 2.6 - Math.hypot(z - 4, (y - 4) * 1.2, x - 3.6) + 0.4 * ((noise[i] as number) - 0.5);
      }
      const logits = tensor(field, [1, 2, S, S, S], { dtype: "float64" });
      const boxes = boxMasks([[{ value: 1, min: [1, 1, 1], max: [8, 8, 7] }]], [S, S, S], { channels: 1 }).boxes;
      gradcheck((x) => geometricPriorLoss(x, boxes, { icp: false, spacing: [1.5, 1, 1] }), logits, nonZeroAndSome(40, 10, 2));
    });
  });
});
