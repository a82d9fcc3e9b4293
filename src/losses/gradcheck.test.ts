// Float64 central-difference gradient checks of every loss with respect to its logits, on tiny
// shapes, table-driven over the options that change the computation graph.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Tensor, Generator, grad, memory, noGrad, rand, randint, randn, tensor, tidy, where } from "../tensor/index.js";
import { type CrossEntropyLossOptions, type DiceCELossOptions, type DiceLossOptions, crossEntropyLoss, diceCELoss, diceLoss } from "./index.js";

const EPS = 1e-6;
const RTOL = 1e-6;
const ATOL = 1e-8;
const SHAPE = [2, 3, 2, 2, 2] as const;

type LossFn = (logits: Tensor, target: Tensor, mask: Tensor | null) => Tensor;

interface Inputs {
  /** int64 labels (N, ...spatial); about a quarter set to 255 when `ignored`. */
  labels: boolean;
  ignored?: boolean;
  /** Per-class probabilities instead of labels. */
  soft?: boolean;
  /** A float mask in [0, 1] with some exact zeros. */
  mask?: boolean;
  /** Logits are positive probabilities-like values (activation "none"). */
  positive?: boolean;
}

function gradcheck(f: LossFn, inputs: Inputs, seed: number): void {
  const before = memory().liveTensors;
  tidy(() => {
    const gen = new Generator(seed);
    const [n, c, ...spatial] = SHAPE;
    let logits = randn([...SHAPE], { dtype: "float64", generator: gen });
    if (inputs.positive) logits = rand([...SHAPE], { dtype: "float64", generator: gen }).mul(0.8).add(0.1);
    let target: Tensor;
    if (inputs.soft) {
      target = randn([...SHAPE], { dtype: "float64", generator: gen }).softmax(1);
    } else {
      target = randint(0, c, [n, ...spatial], { generator: gen });
      if (inputs.ignored) {
        const drop = rand([n, ...spatial], { generator: gen }).lt(0.25);
        target = where(drop, 255, target);
      }
    }
    const mask = inputs.mask ? rand([n, ...spatial], { dtype: "float64", generator: gen }).sub(0.2).clamp(0, 1) : null;
    const data = logits.dataSync() as Float64Array;
    const at = (values: Float64Array): number => tidy(() => noGrad(() => f(tensor(values, [...SHAPE], { dtype: "float64" }), target, mask).item()));

    const leaf = tensor(data, [...SHAPE], { dtype: "float64", requiresGrad: true });
    const loss = f(leaf, target, mask);
    assert.equal(loss.dtype, "float64");
    const [g] = grad([loss], [leaf], { allowUnused: true });
    const analytic = g ? (g.dataSync() as Float64Array) : new Float64Array(data.length);
    for (let j = 0; j < data.length; j++) {
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

// Helpers so the mask, when present, is passed the same way to every loss.
const dice = (o: DiceLossOptions): LossFn => (l, t, m) => diceLoss(l, t, { ...o, mask: m });
const ce = (o: CrossEntropyLossOptions): LossFn => (l, t, m) => crossEntropyLoss(l, t, { ...o, mask: m });
const diceCE = (o: DiceCELossOptions): LossFn => (l, t, m) => diceCELoss(l, t, { ...o, mask: m });

const CASES: [string, LossFn, Inputs][] = [
  ["diceLoss squared denominator, label map", dice({}), { labels: true }],
  ["diceLoss linear denominator without background", dice({ denominator: "linear", includeBackground: false }), { labels: true }],
  ["diceLoss batch Dice with smoothing 1", dice({ batchDice: true, smoothNumerator: 1, smoothDenominator: 1 }), { labels: true }],
  ["diceLoss soft mask and ignored labels", dice({ ignoreIndex: 255 }), { labels: true, ignored: true, mask: true }],
  ["diceLoss sigmoid on soft targets", dice({ activation: "sigmoid", denominator: "linear" }), { labels: false, soft: true }],
  ["diceLoss on probabilities (activation none)", dice({ activation: "none" }), { labels: true, positive: true }],
  ["diceLoss reduction none (summed by the check)", (l, t, m) => diceLoss(l, t, { reduction: "none", mask: m }).sum(), { labels: true, mask: true }],
  ["crossEntropyLoss class weights, ignore index and label smoothing", ce({ classWeights: [0.3, 1, 2], ignoreIndex: 255, labelSmoothing: 0.1 }), { labels: true, ignored: true }],
  ["crossEntropyLoss soft mask with class weights", ce({ classWeights: [0.3, 1, 2] }), { labels: true, mask: true }],
  ["crossEntropyLoss probability targets with a mask", ce({}), { labels: false, soft: true, mask: true }],
  ["diceCELoss with weights, ignore index and mask", diceCE({ ignoreIndex: 255, diceWeight: 0.7, ceWeight: 1.3, dice: { denominator: "linear", batchDice: true } }), { labels: true, ignored: true, mask: true }],
];

describe("loss gradients match float64 central differences", () => {
  CASES.forEach(([name, f, inputs], i) => {
    test(name, () => gradcheck(f, inputs, 100 + i));
  });

  test("a fully masked batch has loss 0 and gradient 0 (every loss)", () => {
    for (const f of [dice({}), dice({ batchDice: true }), ce({ classWeights: [1, 2, 3] }), diceCE({})]) {
      tidy(() => {
        const logits = randn([...SHAPE], { dtype: "float64", requiresGrad: true });
        const target = randint(0, 3, [2, 2, 2, 2]);
        const loss = f(logits, target, tensor(new Float64Array(16), [2, 2, 2, 2], { dtype: "float64" }));
        assert.equal(loss.item(), 0);
        const [g] = grad([loss], [logits], { allowUnused: true });
        assert.ok(!g || g.toArray().every((v) => v === 0));
      });
    }
  });
});
