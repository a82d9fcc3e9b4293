import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Tensor, expectNoLeak, keep, tensor, tidy, zeros } from "../tensor/index.js";
import { type Enc, assertClose, assertNear, decode, golden } from "./_testing/golden.js";
import { clipGradNorm, clipGradValue } from "./index.js";

interface ClipGolden {
  grads: Enc[];
  cases: { maxNorm: number; normType: number | "inf"; total: number; clipped: Enc[] }[];
}

/** Three parameters with the golden gradients plus one without a gradient. */
function params(g: ClipGolden): Tensor[] {
  const ps = g.grads.map((e) => keep(zeros(e.shape, { requiresGrad: true })));
  ps.forEach((p, i) => tidy(() => p.setGrad(decode(g.grads[i] as Enc))));
  return [...ps, keep(zeros([3], { requiresGrad: true }))];
}

describe("clipGradNorm matches torch.nn.utils.clip_grad_norm_ 1.13 (test/golden/nn.json)", () => {
  const g = golden().clip as ClipGolden;
  for (const c of g.cases) {
    it(`maxNorm ${c.maxNorm}, normType ${c.normType}`, () => {
      const ps = params(g);
      let total = 0;
      expectNoLeak(() => {
        total = clipGradNorm(ps, c.maxNorm, c.normType === "inf" ? Infinity : c.normType);
      });
      assertNear(total, c.total, "total norm", 1e-6);
      ps.slice(0, 3).forEach((p, i) => tidy(() => assertClose(p.grad as Tensor, c.clipped[i] as Enc, `grad ${i}`, { rtol: 1e-6, atol: 1e-7 })));
      assert.equal(ps[3]?.grad, null);
      ps.forEach((p) => p.dispose());
    });
  }
});

describe("gradient clipping", () => {
  it("clipGradNorm returns 0 and does nothing without gradients", () => {
    using p = zeros([2], { requiresGrad: true });
    assert.equal(clipGradNorm([p], 1), 0);
  });

  it("clipGradNorm can refuse non-finite norms", () => {
    using p = zeros([2], { requiresGrad: true });
    tidy(() => p.setGrad(tensor([Infinity, 1])));
    assert.throws(() => clipGradNorm([p], 1, 2, { errorIfNonfinite: true }), RangeError);
  });

  it("clipGradValue clamps every gradient element in place", () => {
    using p = zeros([4], { requiresGrad: true });
    tidy(() => p.setGrad(tensor([-3, -0.5, 0.5, 3])));
    expectNoLeak(() => clipGradValue([p], 1));
    assert.deepEqual(tidy(() => p.grad?.toArray()), [-1, -0.5, 0.5, 1]);
    assert.throws(() => clipGradValue([p], -1), RangeError);
  });
});
