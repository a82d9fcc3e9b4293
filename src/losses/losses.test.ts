import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Tensor, Generator, ShapeError, expectNoLeak, randint, randn, tensor, tidy, zeros } from "../tensor/index.js";
import {
  CrossEntropyLoss,
  DiceCELoss,
  DiceLoss,
  crossEntropyLoss,
  diceCELoss,
  diceCELossTerms,
  diceLoss,
} from "./index.js";

const gen = (seed: number) => new Generator(seed);

/** One-hot probabilities (N=1, C=2, 1, 1, 4) for the foreground pattern `fg` (0/1 per voxel). */
function probs(fg: readonly number[]): Tensor {
  const bg = fg.map((v) => 1 - v);
  return tensor([...bg, ...fg], [1, 2, 1, 1, fg.length], { dtype: "float64" });
}

const labels = (fg: readonly number[]): Tensor => tensor(fg, [1, 1, 1, fg.length], { dtype: "int64" });

describe("diceLoss() values (table-driven, probabilities in, activation none)", () => {
  // [what, prediction, target, options, expected loss]
  const s = 1e-5;
  const cases: [string, number[], number[], Record<string, unknown>, number][] = [
    ["returns 0 for identical masks", [1, 1, 0, 0], [1, 1, 0, 0], { smoothNumerator: 0, smoothDenominator: 0 }, 0],
    ["returns 1 for disjoint foregrounds without background", [1, 1, 0, 0], [0, 0, 1, 1], { includeBackground: false, smoothNumerator: 0, smoothDenominator: 0 }, 1],
    ["averages classes: half overlap, foreground only", [1, 1, 0, 0], [0, 1, 1, 0], { includeBackground: false, smoothNumerator: 0, smoothDenominator: 0 }, 0.5],
    // An empty class in both prediction and target: Dice = s/s = 1 with smoothing, so loss 0.
    ["scores an empty-empty class as perfect with smoothing", [0, 0, 0, 0], [0, 0, 0, 0], { includeBackground: false }, 0],
    // ... and as Dice 0 (loss 1) without smoothing (the denominator is clamped, never 0/0).
    ["scores an empty-empty class as Dice 0 without smoothing", [0, 0, 0, 0], [0, 0, 0, 0], { includeBackground: false, smoothNumerator: 0, smoothDenominator: 0 }, 1],
    // A prediction on an empty target: Dice = s / (2 + s).
    ["penalises foreground predicted on an empty target", [1, 1, 0, 0], [0, 0, 0, 0], { includeBackground: false }, 1 - s / (2 + s)],
  ];
  for (const [what, p, t, opts, expected] of cases) {
    test(`diceLoss() ${what}`, () => {
      tidy(() => {
        const loss = diceLoss(probs(p), labels(t), { activation: "none", ...opts }).item();
        assert.ok(Math.abs(loss - expected) < 1e-9, `loss ${loss}, expected ${expected}`);
      });
    });
  }

  test("diceLoss() squared and linear denominators differ on soft predictions as defined", () => {
    tidy(() => {
      const p = tensor([0.5, 0.5, 0.5, 0.5], [1, 1, 1, 1, 4], { dtype: "float64" });
      const t = tensor([1, 1, 0, 0], [1, 1, 1, 1, 4], { dtype: "float64" });
      const o = { activation: "none", smoothNumerator: 0, smoothDenominator: 0 } as const;
      // squared: 1 - 2·1 / (4·0.25 + 2) = 1/3; linear: 1 - 2·1 / (2 + 2) = 1/2
      assert.ok(Math.abs(diceLoss(p, t, { ...o, denominator: "squared" }).item() - 1 / 3) < 1e-12);
      assert.ok(Math.abs(diceLoss(p, t, { ...o, denominator: "linear" }).item() - 1 / 2) < 1e-12);
    });
  });

  test("diceLoss() masked and ignored voxels do not count, and both routes agree", () => {
    tidy(() => {
      const p = probs([1, 1, 0, 1]);
      const viaMask = diceLoss(p, labels([1, 1, 0, 0]), { activation: "none", mask: tensor([1, 1, 1, 0], [1, 1, 1, 4]) }).item();
      const viaIgnore = diceLoss(p, labels([1, 1, 0, 255]), { activation: "none", ignoreIndex: 255 }).item();
      assert.ok(viaMask < 1e-5, `the wrong voxel is masked out: ${viaMask}`);
      assert.equal(viaMask, viaIgnore);
    });
  });

  test("diceLoss() leaves a fully excluded sample out of the mean and reports it as 0 with reduction none", () => {
    tidy(() => {
      const logits = randn([2, 3, 2, 2, 2], { generator: gen(1) });
      const target = randint(0, 3, [2, 2, 2, 2], { generator: gen(2) });
      const mask = tensor([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0], [2, 2, 2, 2]);
      const both = diceLoss(logits, target, { mask, reduction: "none" });
      assert.deepEqual(both.shape, [2, 3]);
      assert.deepEqual(both.slice(0, 1, 2).toArray(), [0, 0, 0]);
      const first = diceLoss(logits.slice(0, 0, 1), target.slice(0, 0, 1)).item();
      assert.ok(Math.abs(diceLoss(logits, target, { mask }).item() - first) < 1e-6);
    });
  });

  test("diceLoss() batch Dice pools the batch into one Dice per class", () => {
    tidy(() => {
      const logits = randn([3, 2, 2, 2, 2], { generator: gen(3) });
      const target = randint(0, 2, [3, 2, 2, 2], { generator: gen(4) });
      assert.deepEqual(diceLoss(logits, target, { batchDice: true, reduction: "none" }).shape, [2]);
      const pooled = diceLoss(logits.permute([1, 0, 2, 3, 4]).reshape([1, 2, 6, 2, 2]), target.reshape([1, 6, 2, 2]), {}).item();
      assert.ok(Math.abs(diceLoss(logits, target, { batchDice: true }).item() - pooled) < 1e-6);
    });
  });

  test("diceLoss() gives the same value in float32 and float64", () => {
    tidy(() => {
      const logits = randn([2, 3, 4, 4, 4], { generator: gen(5) });
      const target = randint(0, 3, [2, 4, 4, 4], { generator: gen(6) });
      const a = diceLoss(logits, target).item();
      const b = diceLoss(logits.to("float64"), target).item();
      assert.equal(diceLoss(logits, target).dtype, "float32");
      assert.ok(Math.abs(a - b) < 1e-6);
    });
  });
});

describe("crossEntropyLoss()", () => {
  test("crossEntropyLoss() equals the ATen mean without a mask, accepts (N, 1, ...) targets and ignores labels", () => {
    tidy(() => {
      const logits = randn([2, 3, 2, 3, 2], { generator: gen(7) });
      const target = randint(0, 3, [2, 2, 3, 2], { generator: gen(8) });
      const a = crossEntropyLoss(logits, target).item();
      const b = crossEntropyLoss(logits, target.unsqueeze(1)).item();
      assert.equal(a, b);
      const allIgnored = crossEntropyLoss(logits, zeros([2, 2, 3, 2], { dtype: "int64" }).add(255), { ignoreIndex: 255 });
      assert.equal(allIgnored.item(), 0, "all ignored gives 0, not NaN");
    });
  });

  test("crossEntropyLoss() class weights may be an array or a tensor", () => {
    tidy(() => {
      const logits = randn([2, 3, 2, 2, 2], { generator: gen(9) });
      const target = randint(0, 3, [2, 2, 2, 2], { generator: gen(10) });
      const a = crossEntropyLoss(logits, target, { classWeights: [0.1, 1, 5] }).item();
      const b = crossEntropyLoss(logits, target, { classWeights: tensor([0.1, 1, 5]) }).item();
      assert.equal(a, b);
    });
  });
});

describe("Dice + CE and the class wrappers", () => {
  test("diceCELossTerms() returns the weighted sum of both terms", () => {
    tidy(() => {
      const logits = randn([2, 3, 2, 2, 2], { generator: gen(11) });
      const target = randint(0, 3, [2, 2, 2, 2], { generator: gen(12) });
      const t = diceCELossTerms(logits, target, { diceWeight: 0.25, ceWeight: 2 });
      assert.ok(Math.abs(t.dice.item() - diceLoss(logits, target).item()) < 1e-7);
      assert.ok(Math.abs(t.crossEntropy.item() - crossEntropyLoss(logits, target).item()) < 1e-7);
      assert.ok(Math.abs(t.loss.item() - (0.25 * t.dice.item() + 2 * t.crossEntropy.item())) < 1e-6);
      assert.equal(diceCELoss(logits, target, { diceWeight: 0.25, ceWeight: 2 }).item(), t.loss.item());
    });
  });

  test("class wrappers apply their options, and per-call options override them", () => {
    tidy(() => {
      const logits = randn([2, 3, 2, 2, 2], { generator: gen(13) });
      const target = randint(0, 3, [2, 2, 2, 2], { generator: gen(14) });
      const mask = randint(0, 2, [2, 2, 2, 2], { generator: gen(15) });
      const d = new DiceLoss({ denominator: "linear", includeBackground: false });
      assert.equal(d.forward(logits, target, { mask }).item(), diceLoss(logits, target, { denominator: "linear", includeBackground: false, mask }).item());
      const c = new CrossEntropyLoss({ classWeights: [1, 2, 3] });
      assert.equal(c.forward(logits, target, { classWeights: null }).item(), crossEntropyLoss(logits, target).item());
      const dc = new DiceCELoss({ ceWeight: 0 });
      assert.equal(dc.forward(logits, target).item(), dc.terms(logits, target).dice.item());
    });
  });
});

describe("loss arguments", () => {
  const logits = () => randn([2, 3, 2, 2, 2], { generator: gen(16) });
  const cases: [string, () => unknown, (e: unknown) => boolean][] = [
    ["a label map of the wrong shape", () => diceLoss(logits(), zeros([2, 2, 2], { dtype: "int64" })), (e) => e instanceof ShapeError],
    ["per-class targets of the wrong shape", () => crossEntropyLoss(logits(), zeros([2, 2, 2, 2, 2])), (e) => e instanceof ShapeError],
    ["a mask of the wrong shape", () => diceLoss(logits(), zeros([2, 2, 2, 2], { dtype: "int64" }), { mask: zeros([2, 2, 2]) }), (e) => e instanceof ShapeError],
    ["logits without spatial dims", () => diceLoss(randn([2, 3]), zeros([2], { dtype: "int64" })), (e) => e instanceof ShapeError],
    ["integer logits", () => crossEntropyLoss(zeros([2, 3, 2], { dtype: "int64" }), zeros([2, 2], { dtype: "int64" })), (e) => e instanceof TypeError],
    ["ignoreIndex with per-class targets", () => diceLoss(logits(), zeros([2, 3, 2, 2, 2]), { ignoreIndex: 255 }), (e) => e instanceof TypeError],
    ["no background to drop", () => diceLoss(randn([2, 1, 2]), zeros([2, 1, 2]), { includeBackground: false }), (e) => e instanceof RangeError],
    ["class weights of the wrong length", () => crossEntropyLoss(logits(), zeros([2, 2, 2, 2], { dtype: "int64" }), { classWeights: [1, 2] }), (e) => e instanceof RangeError && /classWeights/.test((e as Error).message)],
    ["negative smoothing", () => diceLoss(logits(), zeros([2, 2, 2, 2], { dtype: "int64" }), { smoothNumerator: -1 }), (e) => e instanceof RangeError],
    ["an unknown reduction", () => crossEntropyLoss(logits(), zeros([2, 2, 2, 2], { dtype: "int64" }), { reduction: "max" as never }), (e) => e instanceof RangeError],
    ["an unknown activation", () => diceLoss(logits(), zeros([2, 2, 2, 2], { dtype: "int64" }), { activation: "tanh" as never }), (e) => e instanceof RangeError],
  ];
  for (const [what, run, check] of cases) {
    test(`losses reject ${what} without leaking`, () => {
      expectNoLeak(() => tidy(() => assert.throws(run, check)));
    });
  }
});

describe("no tensor leaks", () => {
  const runs: [string, (l: Tensor, t: Tensor, m: Tensor) => Tensor][] = [
    ["diceLoss", (l, t, m) => diceLoss(l, t, { mask: m, ignoreIndex: 2 })],
    ["DiceLoss", (l, t) => new DiceLoss({ batchDice: true }).forward(l, t)],
    ["crossEntropyLoss", (l, t, m) => crossEntropyLoss(l, t, { mask: m, classWeights: [1, 2, 3], ignoreIndex: 2 })],
    ["CrossEntropyLoss", (l, t) => new CrossEntropyLoss({ labelSmoothing: 0.1 }).forward(l, t)],
    ["diceCELoss", (l, t, m) => diceCELoss(l, t, { mask: m, ignoreIndex: 2 })],
    ["DiceCELoss.terms", (l, t) => tidy(() => new DiceCELoss().terms(l, t).loss)],
  ];
  for (const [name, run] of runs) {
    test(`${name} forward + backward keeps the live tensor count flat`, () => {
      const logits = randn([2, 3, 4, 4, 4], { generator: gen(17), requiresGrad: true });
      const target = randint(0, 3, [2, 4, 4, 4], { generator: gen(18) });
      const mask = randint(0, 2, [2, 4, 4, 4], { generator: gen(19) });
      expectNoLeak(() => {
        const loss = run(logits, target, mask);
        loss.backward();
        loss.dispose();
      }, name);
      expectNoLeak(() => run(logits, target, mask), `${name} returns only its loss`);
      assert.ok(logits.hasGrad);
      for (const t of [logits, target, mask]) t.dispose();
    });
  }
});
