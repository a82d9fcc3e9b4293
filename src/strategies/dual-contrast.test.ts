import assert from "node:assert/strict";
import { test } from "node:test";
import { reliableCrossEntropy, unionPseudoLabels } from "../losses/index.js";
import { resolveNetworkConfig } from "../nn/index.js";
import { type Tensor, expectNoLeak, noGrad, randn, setNumThreads, softmax, tidy } from "../tensor/index.js";
import { clearGradients, gradientMass, stepAt, tinyEnv, twoStreamBatch } from "./_testing/two-stream.js";
import { strategyConformance } from "./_testing/conformance.js";
import { DualContrastConfigSchema, DualContrastStrategy, createDualContrastStrategy, subnetworkBConfig } from "./index.js";

setNumThreads(1);

const parse = (o: Record<string, unknown> = {}) => DualContrastConfigSchema.parse({ kind: "dual-contrast", ...o });
type Term = "supervised" | "verification" | "pseudoLabel" | "contrastive";
/** Only the named terms count (weight 1, no ramp-up); the others get weight 0. */
const only = (...terms: Term[]) =>
  parse({
    rampupIterations: 0,
    loss: terms.includes("supervised") ? {} : { diceWeight: 0, ceWeight: 0 },
    verification: { weight: terms.includes("verification") ? 1 : 0 },
    pseudoLabel: { weight: terms.includes("pseudoLabel") ? 1 : 0 },
    contrastive: { weight: terms.includes("contrastive") ? 1 : 0 },
  });
const num = (v: Tensor | number | undefined): number => (typeof v === "number" ? v : (v as Tensor).item());

test("DualContrastConfigSchema: defaults from the paper, strict objects", () => {
  const c = parse();
  assert.deepEqual(c.networkB, { encoder: "residual", upsample: null });
  assert.deepEqual(c.verification, { weight: 0.5, threshold: 0.6 });
  assert.deepEqual(c.pseudoLabel, { weight: 1, rampup: false, reliableFraction: 0.2, per: "batch", weighting: "uniform" });
  assert.deepEqual(c.contrastive, { weight: 0.1, pullWeight: 1, pushWeight: 1 });
  assert.throws(() => parse({ networkB: { encoder: "resnet" } }));
  assert.throws(() => parse({ verification: { threshold: 1 } }));
  assert.throws(() => parse({ extra: 1 }));
});

test("subnetworkBConfig(): a residual encoder with as many convolutions, or another upsampling; A untouched", () => {
  const a = tinyEnv().network;
  const before = JSON.stringify(a);
  const b = resolveNetworkConfig(subnetworkBConfig(a, { encoder: "residual", upsample: null }));
  const ra = resolveNetworkConfig(a);
  assert.equal(b.encoder.block, "residual");
  assert.deepEqual(b.encoder.depths, ra.encoder.depths.map((d) => Math.ceil(d / 2)));
  assert.deepEqual(b.decoders, ra.decoders);
  const c = resolveNetworkConfig(subnetworkBConfig(a, { encoder: "plain", upsample: "trilinear" }));
  assert.deepEqual(c.encoder, ra.encoder);
  assert.deepEqual(c.decoders.map((d) => d.upsample), ["trilinear"]);
  assert.equal(JSON.stringify(a), before);
});

test("DualContrastStrategy: a step is finite, logs every term, picks the lower-Dice winner and leaks nothing", () => {
  const s = new DualContrastStrategy(parse(), tinyEnv());
  try {
    assert.deepEqual(s.composition, { labelled: 2, unlabelled: 2, boxes: 0 });
    assert.deepEqual(Object.keys(s.modules()), ["networkA", "networkB"]);
    assert.equal(s.networkB.config.encoder.block, "residual");
    assert.deepEqual(Object.keys(s.generators()), ["dropoutA", "dropoutB"]);
    expectNoLeak(() => {
      for (const i of [0, 1, 2]) {
        tidy(() => {
          const out = s.trainStep(twoStreamBatch(i), stepAt(i));
          assert.ok(Number.isFinite(out.loss.item()));
          const logs = out.logs!;
          for (const k of ["supervisedA", "supervisedB", "diceLossA", "diceLossB", "verification", "winner", "reliableVoxels", "pseudoLabel", "prototypePull", "prototypePush", "contrastiveWeight"]) {
            assert.ok(k in logs, `missing log ${k}`);
          }
          assert.equal(logs.winner, num(logs.diceLossA) <= num(logs.diceLossB) ? 0 : 1);
          // Each network vouches for its lowest-entropy 20 %: between 20 % and 40 % of the voxels.
          const r = num(logs.reliableVoxels);
          assert.ok(r >= 0.2 && r <= 0.4 + 1e-6, `reliable ${r}`);
          out.loss.backward();
        });
        clearGradients(s.networkA, s.networkB);
      }
    }, "dual-contrast trainStep");
  } finally {
    s.dispose();
  }
});

test("DualContrastStrategy: the prototype term trains the loser's features only (with gradient, winner's argmax as a constant)", () => {
  const s = new DualContrastStrategy(only("contrastive"), tinyEnv());
  try {
    for (const i of [0, 1, 2, 3]) {
      const winner = tidy(() => {
        const out = s.trainStep(twoStreamBatch(i), stepAt(i));
        assert.ok(num(out.logs!.prototypePush) > 0);
        out.loss.backward();
        return out.logs!.winner as number;
      });
      const [w, l] = winner === 0 ? [s.networkA, s.networkB] : [s.networkB, s.networkA];
      assert.equal(gradientMass(w), 0, "the winner got a gradient from the loser's contrastive term");
      assert.ok(gradientMass(l.encoder) > 0, "the loser's encoder gets no contrastive gradient");
      clearGradients(s.networkA, s.networkB);
    }
  } finally {
    s.dispose();
  }
});

test("DualContrastStrategy: both networks learn from the union pseudo-labels on reliable voxels", () => {
  const s = new DualContrastStrategy(only("pseudoLabel"), tinyEnv());
  try {
    tidy(() => {
      const batch = twoStreamBatch(0);
      const out = s.trainStep(batch, stepAt(0));
      const expected = noGrad(() => {
        const all = (net: typeof s.networkA) => net.forward(batch.unlabelled!.image, { embedding: false }).logits;
        // The networks saw labelled + unlabelled images together; instance norm makes each image's logits independent of the others.
        const a = all(s.networkA);
        const b = all(s.networkB);
        const pseudo = unionPseudoLabels(a, b);
        return reliableCrossEntropy(a, pseudo).add(reliableCrossEntropy(b, pseudo)).item();
      });
      assert.ok(Math.abs(out.loss.item() - expected) < 1e-5 * Math.max(1, expected), `${out.loss.item()} vs ${expected}`);
      out.loss.backward();
    });
    assert.ok(gradientMass(s.networkA) > 0 && gradientMass(s.networkB) > 0);
    clearGradients(s.networkA, s.networkB);
  } finally {
    s.dispose();
  }
});

test("DualContrastStrategy: the verification term reaches both networks where they disagree confidently", () => {
  const s = new DualContrastStrategy(parse({ ...only("verification"), verification: { weight: 1, threshold: 0.34 } }), tinyEnv());
  try {
    const v = tidy(() => {
      const out = s.trainStep(twoStreamBatch(0), stepAt(0));
      out.loss.backward();
      return num(out.logs!.verification);
    });
    assert.ok(v > 0, `no confident disagreement at threshold 0.34: ${v}`);
    assert.ok(gradientMass(s.networkA) > 0 && gradientMass(s.networkB) > 0);
    clearGradients(s.networkA, s.networkB);
  } finally {
    s.dispose();
  }
});

test("DualContrastStrategy: predict() averages both softmaxes; describe() predicts with both", () => {
  const s = new DualContrastStrategy(parse(), tinyEnv());
  try {
    s.networkA.eval();
    s.networkB.eval();
    tidy(() => {
      const x = randn([2, 1, 8, 16, 16]);
      noGrad(() => {
        const p = softmax(s.predict(x), 1);
        const pa = softmax(s.networkA.forward(x, { embedding: false }).logits, 1);
        const pb = softmax(s.networkB.forward(x, { embedding: false }).logits, 1);
        assert.deepEqual(p.shape, [2, 3, 8, 16, 16]);
        assert.ok(p.sub(pa.add(pb).mul(0.5)).abs().max().item() < 1e-6);
        assert.ok(pa.sub(pb).abs().max().item() > 1e-3, "the two subnetworks predict the same");
      });
    });
    const d = s.describe();
    assert.deepEqual(d.predictWith, ["networkA", "networkB"]);
    assert.deepEqual(Object.keys(d.networks), ["networkA", "networkB"]);
  } finally {
    s.dispose();
  }
});

test("DualContrastStrategy: without an unlabelled stream only the labelled terms run", () => {
  const s = new DualContrastStrategy(parse({ unlabelledBatchSize: 0 }), tinyEnv());
  try {
    assert.deepEqual(s.composition, { labelled: 2, unlabelled: 0, boxes: 0 });
    tidy(() => {
      const out = s.trainStep(twoStreamBatch(0, 2, 0), stepAt(0));
      assert.ok(Number.isFinite(out.loss.item()));
      assert.ok(!("winner" in out.logs!));
    });
  } finally {
    s.dispose();
  }
});

// The shared suite (learning, leaks, determinism, checkpoint/resume, 3 classes, predictWith both);
// full weights from the start so the loss can fall in a few steps.
strategyConformance("dual-contrast", { factory: createDualContrastStrategy, config: DualContrastConfigSchema.parse({ kind: "dual-contrast", rampupIterations: 0 }) });
