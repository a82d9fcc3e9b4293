import assert from "node:assert/strict";
import { test } from "node:test";
import { buildBatch } from "../data/index.js";
import { samplerConfig, sphereCase } from "../data/_testing/pipeline-fixtures.js";
import { unetConfig } from "../nn/index.js";
import { Rng } from "../data/index.js";
import { expectNoLeak, randn, setNumThreads, streamGenerator, tidy } from "../tensor/index.js";
import { type StrategyEnv, toTensorBatch } from "../training/index.js";
import { strategyConformance } from "./_testing/conformance.js";
import { SupervisedConfigSchema, SupervisedStrategy, createSupervisedStrategy, deepSupervisionWeights } from "./index.js";

setNumThreads(1);

const env: StrategyEnv = {
  network: unetConfig({ inChannels: 1, numClasses: 3, levels: 4, baseFilters: 4, strides: [[1, 1, 1], [2, 2, 2], [2, 2, 2], [1, 2, 2]] }),
  numClasses: 3,
  inChannels: 1,
  ignoreLabel: null,
  batchSize: 2,
  totalIterations: 10,
  iterationsPerEpoch: 5,
  generator: (s) => streamGenerator(3, s),
};
const pc = sphereCase("a", { shape: [24, 20, 16], image: "textured" });

test("deepSupervisionWeights(): halving weights, the lowest output left out, normalised", () => {
  assert.deepEqual(deepSupervisionWeights(1), [1]);
  const w = deepSupervisionWeights(3);
  assert.ok(Math.abs(w[0]! - 2 / 3) < 1e-12 && Math.abs(w[1]! - 1 / 3) < 1e-12 && w[2] === 0);
});

test("SupervisedStrategy: a deep-supervised step gives a finite loss with gradients everywhere and leaks nothing", () => {
  const s = new SupervisedStrategy(SupervisedConfigSchema.parse({ kind: "supervised" }), env);
  try {
    assert.deepEqual(s.composition, { labelled: 2, unlabelled: 0, boxes: 0 });
    const host = buildBatch(samplerConfig({ ids: ["a"], patchSize: [16, 16, 8] }), 0, () => pc);
    const ctx = { iteration: 0, epoch: 0, iterationInEpoch: 0, iterationsPerEpoch: 5, totalIterations: 10, lr: 0.01, generator: streamGenerator(1, "t"), rng: new Rng(1) };
    expectNoLeak(() => {
      tidy(() => {
        const out = s.trainStep(toTensorBatch(host), ctx);
        assert.ok(Number.isFinite(out.loss.item()));
        assert.ok(out.logs && "diceLoss" in out.logs && "ceLoss" in out.logs);
        out.loss.backward();
      });
      // (reading p.grad makes a handle, so inside a scope)
      const missing = tidy(() => [...s.network.namedParameters()].filter(([, p]) => p.grad === null).map(([k]) => k));
      // Deep supervision on decoder levels 1 and 2; the lowest (level 2) has weight 0, as in nnU-Net.
      assert.deepEqual(missing, ["heads.0.deepSupervision.1.conv.weight", "heads.0.deepSupervision.1.conv.bias"]);
      for (const p of s.network.parameters()) p.setGrad(null);
    }, "trainStep");
    s.network.eval();
    const logits = tidy(() => s.predict(randn([1, 1, 8, 16, 16])).shape);
    assert.deepEqual(logits, [1, 3, 8, 16, 16]);
    assert.deepEqual(s.describe().predictWith, ["network"]);
  } finally {
    s.dispose();
  }
});

test("toTensorBatch(): shapes and dtypes of every stream", () => {
  const box = sphereCase("x", { shape: [20, 20, 12], boxes: [{ label: "a", value: 1, min: [4, 4, 2], max: [12, 12, 8] }] });
  const cfg = samplerConfig({ ids: ["x"], patchSize: [16, 12, 8], composition: { labelled: 1, unlabelled: 2, boxes: 1 } });
  const host = buildBatch(cfg, 0, () => box);
  expectNoLeak(() =>
    tidy(() => {
      const b = toTensorBatch(host);
      assert.deepEqual(b.labelled!.image.shape, [1, 1, 8, 12, 16]);
      assert.deepEqual(b.labelled!.label.shape, [1, 8, 12, 16]);
      assert.equal(b.labelled!.label.dtype, "int64");
      assert.deepEqual(b.unlabelled!.image.shape, [2, 1, 8, 12, 16]);
      assert.deepEqual(b.boxes!.boxMask.shape, [1, 2, 8, 12, 16]);
      assert.equal(b.boxes!.boxMask.dtype, "float32");
      assert.equal(b.boxes!.boxes.length, 1);
    }),
  );
});

strategyConformance("supervised", { factory: createSupervisedStrategy, config: SupervisedConfigSchema.parse({ kind: "supervised", deepSupervision: false }) });
