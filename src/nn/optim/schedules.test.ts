import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertNear, golden } from "../_testing/golden.js";
import { constantLr, cosineLr, multiStepLr, polyLr, stepLr, withWarmup } from "../index.js";

interface Sched {
  lr: number;
  lrs: number[];
  [k: string]: unknown;
}

describe("schedules match torch.optim.lr_scheduler 1.13 (test/golden/nn.json)", () => {
  const s = golden().schedules as Record<string, Sched>;
  const check = (name: string, f: (step: number) => number) => {
    const c = s[name] as Sched;
    // torch applies most schedules multiplicatively step by step, so it drifts by a few ulps.
    c.lrs.forEach((lr, step) => assertNear(f(step), lr, `${name} step ${step}`, 1e-12, 1e-15));
  };
  it("stepLr = StepLR", () => check("step", stepLr({ lr: 0.1, stepSize: 3, gamma: 0.5 })));
  it("multiStepLr = MultiStepLR", () => check("multiStep", multiStepLr({ lr: 0.1, milestones: [2, 5, 9], gamma: 0.3 })));
  it("cosineLr = CosineAnnealingLR", () => check("cosine", cosineLr({ lr: 0.1, maxSteps: 10, minLr: 0.001 })));
  it("polyLr = PolynomialLR (nnU-Net's poly, exponent 0.9), 0 after maxSteps", () => check("poly", polyLr({ lr: 0.01, maxSteps: 10 })));
  it("withWarmup(cosineLr) = SequentialLR(LinearLR, CosineAnnealingLR)", () =>
    check("warmupCosine", withWarmup(cosineLr({ lr: 0.1, maxSteps: 8 }), { steps: 3, startFactor: 0.1 })));
});

describe("schedules", () => {
  it("polyLr is nnU-Net's lr0·(1 - epoch/max)^0.9", () => {
    const f = polyLr({ lr: 1e-2, maxSteps: 1000 });
    assert.equal(f(0), 1e-2);
    assert.equal(f(250), 1e-2 * 0.75 ** 0.9);
    assert.equal(f(1000), 0);
    assert.equal(f(5000), 0);
  });

  it("are pure: any order of calls gives the same values (exact resume)", () => {
    const f = withWarmup(polyLr({ lr: 0.1, maxSteps: 90 }), { steps: 10 });
    const forward = Array.from({ length: 100 }, (_, i) => f(i));
    const backward = Array.from({ length: 100 }, (_, i) => f(99 - i)).reverse();
    assert.deepEqual(forward, backward);
    assert.equal(f(0), 0);
    assert.equal(f(5), 0.05);
    assert.equal(f(10), 0.1);
  });

  it("accept fractional epochs and reject invalid arguments", () => {
    assert.equal(constantLr(0.3)(2.5), 0.3);
    assert.ok(cosineLr({ lr: 1, maxSteps: 4 })(2.5) < 0.5);
    assert.throws(() => polyLr({ lr: 1, maxSteps: 0 }), RangeError);
    assert.throws(() => stepLr({ lr: 1, stepSize: 0 }), RangeError);
    assert.throws(() => withWarmup(constantLr(1), { steps: 5, startFactor: 2 }), RangeError);
    assert.throws(() => constantLr(1)(-1), RangeError);
  });
});
