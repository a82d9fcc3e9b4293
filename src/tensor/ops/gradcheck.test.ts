// Float64 finite-difference gradient checks for composite ops (several ATen calls glued in
// TypeScript), where a wrong composition could give a right forward and a wrong backward.
// Central differences on tiny shapes: L(x) = sum(f(x) * u) for a fixed random u.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Tensor,
  Generator,
  crossEntropy,
  div,
  dropout,
  grad,
  interpolate,
  logSoftmax,
  memory,
  mul,
  neighbours,
  nllLoss,
  noGrad,
  normalize,
  randint,
  randn,
  softmax,
  sum,
  tensor,
  tidy,
  add,
} from "../index.js";

const EPS = 1e-6;
const RTOL = 1e-5;
const ATOL = 1e-7;

/**
 * Checks the gradient of sum(f(...xs) * u) with respect to every input against central differences.
 * `inputs` are float64 tensors; only those in `wrt` (default: all) are perturbed.
 */
function gradcheck(f: (...xs: Tensor[]) => Tensor, shapes: readonly (readonly number[])[], seed: number, opts: { positive?: boolean } = {}): void {
  const before = memory().liveTensors;
  tidy(() => {
    const gen = new Generator(seed);
    const xs = shapes.map((s) => {
      const r = randn([...s], { dtype: "float64", generator: gen });
      return opts.positive ? add(mul(r, r), 0.5) : r;
    });
    const data = xs.map((x) => x.dataSync() as Float64Array);
    const probe = noGrad(() => f(...xs));
    const u = randn([...probe.shape], { dtype: "float64", generator: gen });
    assert.equal(probe.dtype, "float64", "f must compute in float64");

    const loss = (values: readonly Float64Array[]): number =>
      tidy(() => noGrad(() => sum(mul(f(...values.map((v, i) => tensor(v, xs[i]?.shape, { dtype: "float64" }))), u)).item()));

    // Analytic gradients via autograd.grad (returned, not accumulated).
    const leaves = data.map((d, i) => tensor(d, xs[i]?.shape, { dtype: "float64", requiresGrad: true }));
    const analytic = grad([sum(mul(f(...leaves), u))], leaves).map((g, i) => {
      assert.ok(g, `input ${i} got no gradient`);
      return g.dataSync() as Float64Array;
    });

    data.forEach((d, i) => {
      const an = analytic[i] as Float64Array;
      for (let j = 0; j < d.length; j++) {
        const plus = data.map((v) => v.slice());
        const minus = data.map((v) => v.slice());
        (plus[i] as Float64Array)[j] = (d[j] as number) + EPS;
        (minus[i] as Float64Array)[j] = (d[j] as number) - EPS;
        const numeric = (loss(plus) - loss(minus)) / (2 * EPS);
        const a = an[j] as number;
        const tol = ATOL + RTOL * Math.max(Math.abs(numeric), Math.abs(a), 1);
        assert.ok(Math.abs(a - numeric) <= tol, `input ${i} element ${j}: autograd ${a}, finite difference ${numeric}`);
      }
    });
  });
  assert.equal(memory().liveTensors, before, "gradcheck leaked native tensors");
}

describe("float64 finite-difference gradient checks", () => {
  test("neighbours() gradient matches finite differences with kernel 3", () => {
    gradcheck((x) => neighbours(x), [[1, 2, 2, 3, 3]], 1);
  });

  test("neighbours() gradient matches finite differences with dilation 2 and the centre", () => {
    gradcheck((x) => neighbours(x, { dilation: 2, includeCenter: true }), [[1, 1, 3, 3, 4]], 2);
  });

  test("normalize() gradient matches finite differences with p=2 over channels", () => {
    gradcheck((x) => normalize(x, 2, 1), [[2, 3, 2, 2, 1]], 3);
  });

  test("normalize() gradient matches finite differences with p=1 over the last dim", () => {
    gradcheck((x) => normalize(x, 1, -1), [[3, 4]], 4);
  });

  test("dropout() gradient matches finite differences with a fixed generator mask", () => {
    // A fresh generator with the same seed on every evaluation keeps the mask fixed.
    gradcheck((x) => dropout(x, 0.4, true, new Generator(77)), [[4, 5]], 5);
  });

  test("dropout() with a generator zeroes and rescales like inverted dropout", () => {
    tidy(() => {
      const x = randn([200], { dtype: "float64", generator: new Generator(6) });
      const y = dropout(x, 0.25, true, new Generator(8));
      const again = dropout(x, 0.25, true, new Generator(8));
      assert.deepEqual(y.toArray(), again.toArray(), "same generator seed, same mask");
      const xs = x.toArray();
      const ys = y.toArray();
      let dropped = 0;
      ys.forEach((v, i) => {
        if (v === 0) dropped++;
        else assert.ok(Math.abs(v - (xs[i] as number) / 0.75) < 1e-12);
      });
      assert.ok(dropped > 20 && dropped < 80, `dropped ${dropped} of 200 at p=0.25`);
    });
  });

  test("interpolate() trilinear gradient matches finite differences", () => {
    gradcheck((x) => interpolate(x, { size: [3, 4, 5] }), [[1, 1, 2, 3, 2]], 7);
  });

  test("interpolate() trilinear with align corners gradient matches finite differences", () => {
    gradcheck((x) => interpolate(x, { scaleFactor: 2, alignCorners: true }), [[1, 2, 2, 2, 3]], 8);
  });

  test("interpolate() nearest gradient matches finite differences", () => {
    gradcheck((x) => interpolate(x, { size: [3, 5, 2], mode: "nearest" }), [[1, 1, 2, 3, 3]], 9);
  });

  test("softmax() → weighted sum (a soft-Dice-like composite) gradient matches finite differences", () => {
    gradcheck(
      (x, t) => {
        const p = softmax(x, 1);
        const inter = sum(mul(p, t));
        const denom = add(sum(p), sum(t));
        return div(mul(inter, 2), denom);
      },
      [
        [1, 3, 2, 2, 2],
        [1, 3, 2, 2, 2],
      ],
      10,
      { positive: true },
    );
  });

  test("logSoftmax() → nllLoss() composite matches crossEntropy() and finite differences", () => {
    const target = randint(0, 3, [2, 2, 2, 2], { generator: new Generator(11) });
    try {
      tidy(() => {
        const x = randn([2, 3, 2, 2, 2], { dtype: "float64", generator: new Generator(12) });
        const a = nllLoss(logSoftmax(x, 1), target).item();
        const b = crossEntropy(x, target).item();
        assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
      });
      gradcheck((x) => nllLoss(logSoftmax(x, 1), target), [[2, 3, 2, 2, 2]], 13);
    } finally {
      target.dispose();
    }
  });
});
