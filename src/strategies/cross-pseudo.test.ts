import assert from "node:assert/strict";
import { test } from "node:test";
import { crossEntropyLoss, hardPseudoLabels } from "../losses/index.js";
import { expectNoLeak, setNumThreads, softmax, tensor, tidy } from "../tensor/index.js";
import { toTensorBatch } from "../training/index.js";
import { conformanceEnv, hostBatch, stepContext, strategyConformance } from "./_testing/conformance.js";
import { clearGradients, gradientMass } from "./_testing/two-stream.js";
import { CrossPseudoConfigSchema, CrossPseudoStrategy, createCrossPseudoStrategy, logMeanSoftmax } from "./index.js";

setNumThreads(1);

const TWO_STREAMS = { labelled: 2, unlabelled: 2, boxes: 0 };
const grads = (ps: { grad: { dataSync(): unknown } | null }[]) => tidy(() => ps.map((p) => Array.from((p.grad?.dataSync() ?? new Float32Array(0)) as Float32Array)));

strategyConformance("cross-pseudo", {
  factory: createCrossPseudoStrategy,
  config: CrossPseudoConfigSchema.parse({ kind: "cross-pseudo", cps: { rampupIterations: 4 } }),
});

test("cross-pseudo config: strict, with SSL4MIS's defaults", () => {
  const c = CrossPseudoConfigSchema.parse({ kind: "cross-pseudo" });
  assert.deepEqual(c.cps, { weight: 0.1, rampupIterations: null, on: "unlabelled" });
  assert.equal(CrossPseudoConfigSchema.safeParse({ kind: "cross-pseudo", cps: { weigth: 1 } }).success, false, "unknown keys are errors");
});

test("cross-pseudo: two networks from different initial weights, both optimised", () => {
  const s = new CrossPseudoStrategy(CrossPseudoConfigSchema.parse({ kind: "cross-pseudo" }), conformanceEnv(2, 8));
  try {
    const a = tidy(() => s.netA.parameters().map((p) => Array.from(p.dataSync() as Float32Array)));
    const b = tidy(() => s.netB.parameters().map((p) => Array.from(p.dataSync() as Float32Array)));
    assert.notDeepEqual(a[0], b[0], "the first conv weights are equal: the networks share their initialisation");
    assert.equal(s.parameters().length, s.netA.parameters().length + s.netB.parameters().length);
  } finally {
    s.dispose();
  }
});

test("cross-pseudo: the pseudo-label targets carry no gradient (A's gradient is that of CE(A, argmax B) alone)", () => {
  // Supervised weights 0 and full CPS weight: the loss is CE(A, argmax B) + CE(B, argmax A).
  const s = new CrossPseudoStrategy(CrossPseudoConfigSchema.parse({ kind: "cross-pseudo", loss: { diceWeight: 0, ceWeight: 0 }, cps: { weight: 1, rampupIterations: 0 } }), conformanceEnv(2, 8));
  try {
    const host = hostBatch(TWO_STREAMS, 5);
    expectNoLeak(() => {
      tidy(() => s.trainStep(toTensorBatch(host), stepContext(0, 8)).loss.backward());
      assert.ok(gradientMass(s.netA) > 0 && gradientMass(s.netB) > 0, "both networks learn from the cross supervision");
      const full = grads(s.netA.parameters());
      clearGradients(s.netA, s.netB);
      tidy(() => {
        const x = toTensorBatch(host).unlabelled!.image;
        const a = s.netA.forward(x, { embedding: false }).logits;
        const b = s.netB.forward(x, { embedding: false }).logits;
        crossEntropyLoss(a, hardPseudoLabels(b)).backward();
      });
      const own = grads(s.netA.parameters());
      clearGradients(s.netA, s.netB);
      full.forEach((g, i) => g.forEach((v, k) => assert.ok(Math.abs(v - own[i]![k]!) <= 1e-6 + 1e-4 * Math.abs(v), `parameter ${i}[${k}]: ${v} vs ${own[i]![k]}`)));
    }, "cps step");
  } finally {
    s.dispose();
  }
});

test("logMeanSoftmax: its softmax is the mean of both softmaxes, finite even for extreme logits", () => {
  expectNoLeak(() =>
    tidy(() => {
      const a = tensor(Float32Array.from([1000, -1000, 0, 3, -2, 5]), [1, 2, 3]);
      const b = tensor(Float32Array.from([-1000, 1000, 2, 0, 4, -1]), [1, 2, 3]);
      const out = logMeanSoftmax(a, b);
      const got = Array.from(softmax(out, 1).dataSync() as Float32Array);
      const want = Array.from(softmax(a, 1).add(softmax(b, 1)).mul(0.5).dataSync() as Float32Array);
      assert.ok((out.dataSync() as Float32Array).every(Number.isFinite), "finite");
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `${v} vs ${want[i]}`));
    }),
  );
});
