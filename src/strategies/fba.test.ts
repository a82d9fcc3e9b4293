import assert from "node:assert/strict";
import { test } from "node:test";
import { fbaContrastiveLoss, mutualConsistencyLoss } from "../losses/index.js";
import { type Tensor, cat, expectNoLeak, noGrad, randn, setNumThreads, tidy } from "../tensor/index.js";
import { clearGradients, gradientMass, stepAt, tinyEnv, twoStreamBatch } from "./_testing/two-stream.js";
import { strategyConformance } from "./_testing/conformance.js";
import { FBAConfigSchema, FBAStrategy, createFBAStrategy, fbaHeadPool } from "./index.js";

setNumThreads(1);

const parse = (o: Record<string, unknown> = {}) => FBAConfigSchema.parse({ kind: "fba", ...o });
/** Only the named terms count: the others get weight 0 (and no ramp-up). */
const only = (terms: { supervised?: boolean; contrastive?: boolean; consistency?: boolean }, decoders = 1) =>
  parse({
    decoders,
    rampupIterations: 0,
    loss: terms.supervised ? {} : { diceWeight: 0, ceWeight: 0 },
    contrastive: { weight: terms.contrastive ? 1 : 0 },
    consistency: { weight: terms.consistency ? 1 : 0 },
  });

test("FBAConfigSchema: defaults, strictness and limits", () => {
  const c = parse();
  assert.equal(c.decoders, 1);
  assert.deepEqual(c.contrastive, { weight: 1, rampup: true, positiveAlpha: 0.25, negativeAlpha: 2.5 });
  assert.deepEqual(c.head, { embeddingDim: 128, hiddenDim: 128, inputScale: "none", pool: "auto", maxInputFeatures: 32768 });
  assert.equal(c.rampupIterations, null);
  assert.equal(c.loss.diceWeight, 1);
  assert.throws(() => parse({ decoders: 4 }));
  assert.throws(() => parse({ contrastive: { wieght: 1 } }), /wieght/);
  assert.throws(() => parse({ head: { pool: [2, 2] } }));
});

test("fbaHeadPool(): explicit kernels pass through; auto grows the longest axis until the map fits", () => {
  assert.deepEqual(fbaHeadPool([80, 112, 112], 2, 10), [2, 2, 2]);
  assert.deepEqual(fbaHeadPool([80, 112, 112], [1, 2, 3], 10), [1, 2, 3]);
  assert.deepEqual(fbaHeadPool([16, 16, 16], "auto", 512), [1, 1, 1]); // map 8³ = 512
  // LA's 80×112×112 patch: map 40×56×56 = 125,440 voxels.
  const k = fbaHeadPool([80, 112, 112], "auto", 32768);
  const pooled = [40, 56, 56].map((m, i) => Math.floor(m / k[i]!));
  assert.ok(pooled.reduce((a, b) => a * b) <= 32768, `pooled ${pooled}`);
  assert.deepEqual(k, [1, 2, 2]); // 40×28×28 = 31,360: the short axis is left alone
  // One step less on either long axis would not fit.
  assert.ok(40 * 56 * 28 > 32768);
});

test("FBAStrategy: refuses an environment without a patch size, and a network config with another decoder count", () => {
  const { patchSize: _unused, ...noPatch } = tinyEnv();
  assert.throws(() => new FBAStrategy(parse(), noPatch), /patchSize/);
  const three = tinyEnv();
  const env = { ...three, network: { ...three.network, decoders: [{}, { upsample: "trilinear" as const }] } };
  assert.throws(() => new FBAStrategy(parse({ decoders: 3 }), env), /decoders/);
});

test("FBAStrategy: a step is finite, logs every term, leaks nothing; the contrastive term alone trains the head and the network", () => {
  const s = new FBAStrategy(only({ contrastive: true }), tinyEnv());
  try {
    assert.deepEqual(s.composition, { labelled: 2, unlabelled: 2, boxes: 0 });
    assert.deepEqual(Object.keys(s.modules()), ["network", "fbaHeads"]);
    assert.equal(s.parameters().length, s.network.parameters().length + s.heads.parameters().length);
    // The head is sized by the patch: a (D, H, W) = (8, 16, 16) patch gives a 4 × 8 × 8 map.
    assert.equal(s.heads.at(0).inputFeatures, 256);
    expectNoLeak(() => {
      tidy(() => {
        const out = s.trainStep(twoStreamBatch(0), stepAt(0));
        const loss = out.loss.item();
        assert.ok(Number.isFinite(loss) && loss > 0, `loss ${loss}`);
        for (const k of ["supervised", "diceLoss", "ceLoss", "contrastive", "contrastiveForeground", "contrastiveBackground", "contrastiveNegative", "contrastiveWeight"]) {
          assert.ok(out.logs && k in out.logs, `missing log ${k}`);
        }
        assert.ok(!("consistency" in out.logs!), "one decoder has no consistency term");
        out.loss.backward();
      });
      assert.ok(gradientMass(s.heads) > 0, "the FBA head gets no gradient");
      // Through the head into the logits and on into the segmentation network (encoder included).
      assert.ok(gradientMass(s.network.encoder) > 0, "the contrastive gradient does not reach the encoder");
      clearGradients(s.network, s.heads);
    }, "fba trainStep");
  } finally {
    s.dispose();
  }
});

test("FBAStrategy: the step's contrastive term is the building block's on the head's embeddings of every image, labelled or not", () => {
  const s = new FBAStrategy(only({ contrastive: true }), tinyEnv());
  try {
    tidy(() => {
      const batch = twoStreamBatch(1, 2, 3);
      const step = noGrad(() => s.trainStep(batch, stepAt(0)).loss.item());
      const byHand = (x: Tensor) => noGrad(() => fbaContrastiveLoss(s.heads.at(0).forward(s.network.forward(x, { embedding: false }).logits)).loss.item());
      const all = byHand(cat([batch.labelled!.image, batch.unlabelled!.image], 0));
      assert.ok(Math.abs(step - all) < 1e-5 * Math.max(1, all), `step ${step} vs ${all}`);
    });
  } finally {
    s.dispose();
  }
});

test("FBAStrategy: supervised-only weights leave the head without gradient; the contrastive weight ramps up", () => {
  const s = new FBAStrategy(parse({ contrastive: { weight: 0 } }), tinyEnv());
  try {
    tidy(() => {
      s.trainStep(twoStreamBatch(0), stepAt(0)).loss.backward();
    });
    assert.equal(gradientMass(s.heads), 0);
    assert.ok(gradientMass(s.network) > 0);
    clearGradients(s.network, s.heads);
  } finally {
    s.dispose();
  }
  // Default ramp-up: 60 % of the 100-iteration run, stepped like the paper's t = ⌊it / s⌋.
  const r = new FBAStrategy(parse({ contrastive: { weight: 2 } }), tinyEnv());
  try {
    const w = (it: number) => noGrad(() => tidy(() => r.trainStep(twoStreamBatch(0), stepAt(it)).logs!.contrastiveWeight as number));
    assert.ok(Math.abs(w(0) - 2 * Math.exp(-5)) < 1e-12, `start ${w(0)}`);
    assert.ok(w(30) > w(0) && w(30) < 2);
    assert.equal(w(60), 2);
  } finally {
    r.dispose();
  }
});

test("FBAStrategy with 3 decoders (FBA-Net+): transposed / trilinear / nearest, different outputs, each decoder trained by the consistency term", () => {
  const s = new FBAStrategy(only({ consistency: true }, 3), tinyEnv());
  try {
    assert.deepEqual(s.network.config.decoders.map((d) => d.upsample), ["transposed", "trilinear", "nearest"]);
    assert.equal(s.heads.length, 3);
    tidy(() => {
      const x = randn([1, 1, 8, 16, 16]);
      const outs = noGrad(() => {
        const o = s.network.forward(x, { embedding: false });
        return [o.logits, ...o.otherDecoders!.map((d) => d.logits)];
      });
      for (let i = 1; i < 3; i++) assert.ok(outs[0]!.sub(outs[i]!).abs().max().item() > 1e-4, `decoder ${i} gives decoder 0's output`);
      const batch = twoStreamBatch(0);
      const out = s.trainStep(batch, stepAt(0));
      assert.equal(out.logs!.consistencyWeight, 1);
      // Only the consistency term counts: the sum over the 6 ordered decoder pairs, on every image.
      const byHand = noGrad(() => {
        const o = s.network.forward(cat([batch.labelled!.image, batch.unlabelled!.image], 0), { embedding: false });
        return 6 * mutualConsistencyLoss([o.logits, ...o.otherDecoders!.map((d) => d.logits)]).item();
      });
      const loss = out.loss.item();
      assert.ok(byHand > 0 && Math.abs(loss - byHand) < 1e-5 * Math.max(1, byHand), `loss ${loss} vs ${byHand}`);
      assert.equal((out.logs!.consistency as Tensor).item(), loss);
      out.loss.backward();
    });
    const masses = [0, 1, 2].map((k) => gradientMass(s.network.decoders.at(k)));
    masses.forEach((m, k) => assert.ok(m > 0, `decoder ${k} gets no consistency gradient`));
    assert.equal(gradientMass(s.heads), 0, "the heads play no part in the consistency term");
    clearGradients(s.network, s.heads);
    // The same gradient as the building block's, whose sharpened targets are detached: a target
    // that received gradient (the published code) would change every decoder's gradient.
    tidy(() => {
      const batch = twoStreamBatch(0);
      const o = s.network.forward(cat([batch.labelled!.image, batch.unlabelled!.image], 0), { embedding: false });
      mutualConsistencyLoss([o.logits, ...o.otherDecoders!.map((d) => d.logits)]).mul(6).backward();
    });
    [0, 1, 2].forEach((k) => {
      const m = gradientMass(s.network.decoders.at(k));
      assert.ok(Math.abs(m - masses[k]!) < 1e-4 * masses[k]!, `decoder ${k}: gradient mass ${masses[k]} in the step, ${m} with detached targets`);
    });
    clearGradients(s.network, s.heads);
  } finally {
    s.dispose();
  }
});

test("FBAStrategy: predict() gives decoder 0's logits; describe() names the network", () => {
  const s = new FBAStrategy(parse({ decoders: 2 }), tinyEnv());
  try {
    s.network.eval();
    tidy(() => {
      const x = randn([1, 1, 8, 16, 16]);
      const p = noGrad(() => s.predict(x));
      const ref = noGrad(() => s.network.forward(x, { embedding: false }).logits);
      assert.deepEqual(p.shape, [1, 3, 8, 16, 16]);
      assert.equal(p.sub(ref).abs().max().item(), 0);
    });
    assert.deepEqual(s.describe().predictWith, ["network"]);
    assert.equal((s.describe().networks.network as { decoders: unknown[] }).decoders.length, 2);
  } finally {
    s.dispose();
  }
});

// The shared suite (learning, leaks, determinism, checkpoint/resume, 3 classes, predictWith), for
// FBA-Net and for FBA-Net+ with three decoders; full weights from the start so the loss can fall.
strategyConformance("fba", { factory: createFBAStrategy, config: FBAConfigSchema.parse({ kind: "fba", rampupIterations: 0, head: { embeddingDim: 16, hiddenDim: 16 } }) });
strategyConformance("fba (3 decoders)", { factory: createFBAStrategy, config: FBAConfigSchema.parse({ kind: "fba", decoders: 3, rampupIterations: 0, head: { embeddingDim: 16, hiddenDim: 16 } }) });
