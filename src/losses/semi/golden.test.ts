// Every case of test/golden/semi.safetensors (written by test/golden/gen_semi.py from plain
// float64 PyTorch references of the recipes) through the TypeScript functions in float64: values,
// gradients, masks and labels.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { FBAContrastiveHead } from "../../nn/index.js";
import { type RawTensor, type Tensor, Generator, decodeSafetensors, expectNoLeak, fromRawTensor, grad, setNumThreads, tidy } from "../../tensor/index.js";
import {
  consistencyWeight,
  copyPasteMix,
  crossPseudoSupervisionLoss,
  cuboidMask,
  fbaContrastiveLoss,
  largestComponentLabels,
  mutualConsistencyLoss,
  prototypeContrastiveLoss,
  reliableCrossEntropy,
  sharpen,
  sigmoidRampup,
  softmaxMSELoss,
  unionPseudoLabels,
  verificationLoss,
} from "./index.js";
import { assertCloseToRaw, loadGoldenFixture } from "../../tensor/_testing/golden-fixture.js";

// Tiny tensors: intra-op threads only add hand-offs (tens of ms per call on a busy machine).
setNumThreads(1);

type Meta = Record<string, unknown> & { kind: string };

const fixture = loadGoldenFixture("semi.safetensors", "gen_semi.py");
const cases = fixture.cases<Record<string, Meta>>();
const raw = fixture.raw;

const load = (name: string): Tensor => fromRawTensor(raw(name));
const leaf = (name: string): Tensor => load(name).setRequiresGrad(true);

function close(label: string, got: Tensor | null, name: string): void {
  const want = raw(name);
  assert.ok(got, `${label}: no tensor (a gradient that did not flow?)`);
  assert.deepEqual([...got.shape], want.shape, `${label}: shape`);
  assert.equal(got.dtype, "float64", `${label}: dtype`);
  assertCloseToRaw(label, got, want);
}

function same(label: string, got: Tensor, name: string): void {
  const want = raw(name);
  assert.deepEqual([...got.shape], want.shape, `${label}: shape`);
  assert.deepEqual(got.toArray(), Array.from(want.data as ArrayLike<number | bigint>, Number), `${label}: values`);
}

/** d(loss)/d(inputs), allowing inputs the loss does not reach (reported as null). */
const grads = (loss: Tensor, inputs: Tensor[]): (Tensor | null)[] => grad([loss], inputs, { allowUnused: true });

const RUN: Record<string, (key: string, meta: Meta) => void> = {
  similarity(key) {
    const zf = leaf(`${key}/zf`);
    const zb = leaf(`${key}/zb`);
    const t = fbaContrastiveLoss({ foreground: zf, background: zb });
    close("Max(f)", t.foreground, `${key}/foreground`);
    close("Max(b)", t.background, `${key}/background`);
    close("Min(f, b)", t.negative, `${key}/negative`);
    close("loss", t.loss, `${key}/loss`);
    const [gf, gb] = grads(t.loss, [zf, zb]);
    close("gradient wrt foreground embeddings", gf ?? null, `${key}/grad_zf`);
    close("gradient wrt background embeddings", gb ?? null, `${key}/grad_zb`);
  },
  head(key, meta) {
    const head = new FBAContrastiveHead({
      patchSize: meta.patchSize as [number, number, number],
      inChannels: meta.inChannels as number,
      hiddenDim: meta.hiddenDim as number,
      embeddingDim: meta.embeddingDim as number,
      inputScale: meta.inputScale as "mean" | "none",
      dtype: "float64",
    });
    try {
      const prefix = `${key}/state/`;
      const state = new Map(fixture.names().filter((k) => k.startsWith(prefix)).map((k) => [k.slice(prefix.length), load(k)]));
      head.loadStateDict(state);
      const logits = leaf(`${key}/logits`);
      const out = head.forward(logits);
      close("foreground embeddings", out.foreground, `${key}/foreground`);
      close("background embeddings", out.background, `${key}/background`);
      close("activation map", out.activation, `${key}/activation`);
      const { loss } = fbaContrastiveLoss(out);
      close("contrastive loss", loss, `${key}/loss`);
      close("gradient wrt logits", grads(loss, [logits])[0] ?? null, `${key}/grad_logits`);
      close("running mean", head.bn.runningMean, `${key}/running_mean`);
      close("running var", head.bn.runningVar, `${key}/running_var`);
    } finally {
      head.dispose();
    }
  },
  sharpen(key, meta) {
    close("sharpened", sharpen(load(`${key}/probs`), meta.temperature as number, { binary: meta.binary as boolean }), `${key}/sharpened`);
  },
  mutual(key, meta) {
    const logits = Array.from({ length: meta.decoders as number }, (_, i) => leaf(`${key}/logits${i}`));
    const loss = mutualConsistencyLoss(logits, { temperature: meta.temperature as number, activation: meta.activation as "softmax" | "sigmoid" });
    close("loss", loss, `${key}/loss`);
    grads(loss, logits).forEach((g, i) => close(`gradient wrt decoder ${i}`, g, `${key}/grad${i}`));
  },
  softmax_mse(key, meta) {
    const s = leaf(`${key}/student`);
    const t = leaf(`${key}/teacher`);
    const loss = softmaxMSELoss(s, t, { mask: meta.masked ? load(`${key}/mask`) : null });
    close("loss", loss, `${key}/loss`);
    const [gs, gt] = grads(loss, [s, t]);
    close("gradient wrt student", gs ?? null, `${key}/grad_student`);
    assert.equal(gt, null, "the teacher receives no gradient");
  },
  verification(key, meta) {
    const a = leaf(`${key}/logitsA`);
    const b = leaf(`${key}/logitsB`);
    const ignore = meta.ignoreIndex as number | null;
    const t = verificationLoss(a, b, load(`${key}/labels`), { ignoreIndex: ignore });
    close("network A", t.a, `${key}/a`);
    close("network B", t.b, `${key}/b`);
    same("disagreement mask", t.disagreement.to("uint8"), `${key}/disagreement`);
    assert.equal(t.disagreement.to("float64").sum().item(), meta.count);
    const [ga, gb] = grads(t.loss, [a, b]);
    close("gradient wrt A", ga ?? null, `${key}/gradA`);
    close("gradient wrt B", gb ?? null, `${key}/gradB`);
  },
  union(key, meta) {
    const a = leaf(`${key}/logitsA`);
    const b = load(`${key}/logitsB`);
    const p = unionPseudoLabels(a, b, { per: meta.per as "batch" | "sample", reliableFraction: meta.reliableFraction as number });
    same("labels", p.labels, `${key}/labels`);
    same("union", p.union, `${key}/union`);
    same("reliable", p.reliable.to("uint8"), `${key}/reliable`);
    close("confidence", p.confidence, `${key}/confidence`);
    const uniform = reliableCrossEntropy(a, p);
    const weighted = reliableCrossEntropy(a, p, { weighting: "confidence" });
    close("uniform CE", uniform, `${key}/ce_uniform`);
    close("confidence-weighted CE", weighted, `${key}/ce_confidence`);
    close("gradient of uniform CE", grads(uniform, [a])[0] ?? null, `${key}/grad_uniform`);
    close("gradient of weighted CE", grads(weighted, [a])[0] ?? null, `${key}/grad_confidence`);
  },
  prototype(key, meta) {
    const f = leaf(`${key}/features`);
    const t = prototypeContrastiveLoss(f, load(`${key}/reliable`), load(`${key}/candidates`), {
      numClasses: meta.numClasses as number,
      detachPullTargets: meta.detachPullTargets as boolean,
    });
    close("pull", t.pull, `${key}/pull`);
    close("push", t.push, `${key}/push`);
    close("loss", t.loss, `${key}/loss`);
    close("prototypes", t.prototypes, `${key}/prototypes`);
    close("gradient wrt features", grads(t.loss, [f])[0] ?? null, `${key}/grad`);
  },
  cps(key) {
    const a = leaf(`${key}/logitsA`);
    const b = leaf(`${key}/logitsB`);
    const t = crossPseudoSupervisionLoss(a, b);
    close("A taught by B", t.a, `${key}/a`);
    close("B taught by A", t.b, `${key}/b`);
    const [ga, gb] = grads(t.loss, [a, b]);
    close("gradient wrt A", ga ?? null, `${key}/gradA`);
    close("gradient wrt B", gb ?? null, `${key}/gradB`);
  },
  bcp(key, meta) {
    const { mask, box } = cuboidMask(meta.shape as [number, number, number], { generator: new Generator(meta.seed as number) });
    assert.deepEqual(box, { start: meta.start, size: meta.size }, "same box as torch.randint with the same seed");
    same("mask", mask.to("uint8"), `${key}/mask`);
    const m = copyPasteMix({
      labelledImages: load(`${key}/labelledImages`),
      labelledLabels: load(`${key}/labelledLabels`),
      unlabelledImages: load(`${key}/unlabelledImages`),
      unlabelledLabels: load(`${key}/unlabelledLabels`),
      mask,
      unlabelledWeight: meta.unlabelledWeight as number,
    });
    close("labelled into unlabelled: images", m.labelledIntoUnlabelled.images, `${key}/lu_images`);
    same("labelled into unlabelled: labels", m.labelledIntoUnlabelled.labels, `${key}/lu_labels`);
    close("labelled into unlabelled: weights", m.labelledIntoUnlabelled.weights, `${key}/lu_weights`);
    close("unlabelled into labelled: images", m.unlabelledIntoLabelled.images, `${key}/ul_images`);
    same("unlabelled into labelled: labels", m.unlabelledIntoLabelled.labels, `${key}/ul_labels`);
    close("unlabelled into labelled: weights", m.unlabelledIntoLabelled.weights, `${key}/ul_weights`);
  },
  lcc(key) {
    same("largest components", largestComponentLabels(load(`${key}/labels`)), `${key}/largest`);
  },
};

describe("semi-supervised losses match PyTorch references (test/golden/semi.safetensors)", () => {
  test("the fixture records its torch version and covers every kind of case", () => {
    assert.match(fixture.metadata.torch_version ?? "", /^1\.13/);
    assert.deepEqual([...new Set(Object.values(cases).map((c) => c.kind))].sort(), Object.keys(RUN).sort());
  });

  for (const [key, meta] of Object.entries(cases)) {
    test(key, () => {
      const run = RUN[meta.kind];
      assert.ok(run, `no runner for kind ${meta.kind}`);
      expectNoLeak(() => tidy(() => run(key, meta)), key);
    });
  }

  test("ramp-up schedules match the reference table", () => {
    const t = JSON.parse(fixture.metadata.schedules ?? "{}") as { sigmoidRampup: number[][]; consistencyWeight: number[][] };
    for (const [cur, len, w] of t.sigmoidRampup) assert.ok(Math.abs(sigmoidRampup(cur as number, len as number) - (w as number)) < 1e-15, `sigmoidRampup(${cur}, ${len})`);
    for (const [it, w] of t.consistencyWeight) assert.ok(Math.abs(consistencyWeight(it as number) - (w as number)) < 1e-15, `consistencyWeight(${it})`);
  });
});
