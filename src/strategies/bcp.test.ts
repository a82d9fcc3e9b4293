import assert from "node:assert/strict";
import { test } from "node:test";
import { hardPseudoLabels, largestComponentLabels } from "../losses/index.js";
import { Adam } from "../nn/index.js";
import { type Tensor, cat, expectNoLeak, noGrad, setNumThreads, tidy } from "../tensor/index.js";
import { toTensorBatch } from "../training/index.js";
import { conformanceEnv, hostBatch, stepContext, strategyConformance } from "./_testing/conformance.js";
import { clearGradients, gradientMass } from "./_testing/two-stream.js";
import { BCPConfigSchema, BCPStrategy, createBCPStrategy } from "./index.js";

setNumThreads(1);

const TWO_STREAMS = { labelled: 2, unlabelled: 2, boxes: 0 };
const floats = (t: Tensor) => Array.from(t.contiguous().dataSync() as Float32Array);
const ints = (t: Tensor) => Array.from(t.to("int32").contiguous().dataSync() as Int32Array);
const params = (m: { parameters(): Tensor[] }) => tidy(() => m.parameters().map(floats));

// pretrainIterations 6: the conformance resume check (cut after iteration 4) crosses the stage switch.
// The self-training loss sums two mixes (BCP's loss_l + loss_u), so it starts about twice the
// pre-training loss: the learning check compares losses within the self-training stage.
strategyConformance("bcp", { factory: createBCPStrategy, config: BCPConfigSchema.parse({ kind: "bcp", pretrainIterations: 6 }), steps: 24, lossFrom: 6 });

test("bcp config: strict, BCP's defaults; the pre-training length defaults to 2/17 of the run", () => {
  const c = BCPConfigSchema.parse({ kind: "bcp" });
  assert.equal(c.maskRatio, 2 / 3);
  assert.equal(c.unlabelledWeight, 0.5);
  assert.deepEqual(c.ema, { decay: 0.99, warmup: false });
  assert.equal(c.largestComponent, true);
  assert.equal(BCPConfigSchema.safeParse({ kind: "bcp", u_weight: 0.5 }).success, false, "unknown keys are errors");
  const s = new BCPStrategy(c, conformanceEnv(2, 1700));
  try {
    assert.equal(s.pretrainIterations, 200);
    assert.equal(s.stage(199), "pretrain");
    assert.equal(s.stage(200), "self-train");
  } finally {
    s.dispose();
  }
  assert.throws(() => new BCPStrategy(BCPConfigSchema.parse({ kind: "bcp", labelledBatchSize: 2, unlabelledBatchSize: 1 }), conformanceEnv(2, 8)), /as many unlabelled as labelled.*labelled 2, unlabelled 1/);
});

/** Checks every voxel of a mix: inside the cuboid from `inside`, outside from `outside`, with their weights. */
function checkMix(
  mix: { images: Tensor; labels: Tensor; weights: Tensor },
  mask: Tensor,
  inside: { image: Tensor; label: Tensor; weight: number },
  outside: { image: Tensor; label: Tensor; weight: number },
  what: string,
) {
  tidy(() => {
    const m = ints(mask);
    const [n, c] = mix.images.shape as [number, number];
    const voxels = m.length;
    const [img, lab, w] = [floats(mix.images), ints(mix.labels), floats(mix.weights)];
    const [ii, il, oi, ol] = [floats(inside.image), ints(inside.label), floats(outside.image), ints(outside.label)];
    let inCount = 0;
    for (let s = 0; s < n; s++)
      for (let v = 0; v < voxels; v++) {
        const isIn = m[v] === 1;
        if (isIn) inCount++;
        const k = s * voxels + v;
        assert.equal(lab[k], isIn ? il[k] : ol[k], `${what}: label of sample ${s} voxel ${v}`);
        assert.equal(w[k], isIn ? inside.weight : outside.weight, `${what}: weight of sample ${s} voxel ${v}`);
        for (let ch = 0; ch < c; ch++) {
          const j = (s * c + ch) * voxels + v;
          assert.equal(img[j], isIn ? ii[j] : oi[j], `${what}: image of sample ${s} voxel ${v}`);
        }
      }
    assert.ok(inCount > 0 && inCount < n * voxels, `${what}: the cuboid covers part of the patch`);
  });
}

test("bcp pre-training: each labelled patch's cuboid pasted into the next labelled patch; the teacher follows the student exactly", () => {
  const s = new BCPStrategy(BCPConfigSchema.parse({ kind: "bcp", pretrainIterations: 3 }), conformanceEnv(2, 8));
  const opt = new Adam(s.parameters(), { lr: 0.05 });
  try {
    const host = hostBatch(TWO_STREAMS, 2);
    expectNoLeak(() =>
      tidy(() => {
        const b = toTensorBatch(host);
        const r = s.inputs(b, stepContext(1, 8));
        assert.equal(r.stage, "pretrain");
        assert.equal(r.mixes.length, 1);
        assert.equal(r.pseudoLabels, undefined, "no teacher labels in pre-training");
        const l = b.labelled!;
        const next = (t: Tensor) => cat([t.slice(0, 1, null), t.slice(0, 0, 1)], 0);
        checkMix(r.mixes[0]!, r.mask, { image: l.image, label: l.label, weight: 1 }, { image: next(l.image), label: next(l.label), weight: 1 }, "pre-training mix");
      }),
    );
    // A pre-training step and its after-step hook: the teacher equals the updated student.
    tidy(() => s.trainStep(toTensorBatch(host), stepContext(2, 8)).loss.backward());
    opt.step();
    clearGradients(s.student);
    noGrad(() => tidy(() => s.afterOptimizerStep(stepContext(2, 8))));
    assert.deepEqual(params(s.teacher), params(s.student));
  } finally {
    opt.dispose();
    s.dispose();
  }
});

test("bcp self-training: both mixes pair labelled and unlabelled patch i with weights 1 / 0.5; teacher labels keep the largest component; the EMA moves the teacher", () => {
  const s = new BCPStrategy(BCPConfigSchema.parse({ kind: "bcp", pretrainIterations: 3 }), conformanceEnv(2, 8));
  const opt = new Adam(s.parameters(), { lr: 0.05 });
  try {
    const host = hostBatch(TWO_STREAMS, 4);
    expectNoLeak(() =>
      tidy(() => {
        const b = toTensorBatch(host);
        const r = s.inputs(b, stepContext(3, 8));
        assert.equal(r.stage, "self-train");
        assert.equal(r.mixes.length, 2);
        const u = b.unlabelled!;
        const expected = noGrad(() => largestComponentLabels(hardPseudoLabels(s.teacher.forward(u.image, { embedding: false }).logits)));
        assert.deepEqual(ints(r.pseudoLabels!), ints(expected), "pseudo-labels = largest component of the teacher's argmax");
        const l = b.labelled!;
        const lab = { image: l.image, label: l.label, weight: 1 };
        const unl = { image: u.image, label: r.pseudoLabels!, weight: 0.5 };
        checkMix(r.mixes[0]!, r.mask, lab, unl, "labelled cuboid into the unlabelled patch");
        checkMix(r.mixes[1]!, r.mask, unl, lab, "unlabelled cuboid into the labelled patch");
      }),
    );
    // The student learns, the teacher gets no gradient; afterwards the EMA (decay 0.99, no warm-up) moves the teacher.
    tidy(() => {
      const out = s.trainStep(toTensorBatch(host), stepContext(3, 8));
      assert.equal(out.logs!.selfTraining, 1);
      out.loss.backward();
    });
    assert.ok(gradientMass(s.student) > 0);
    assert.equal(tidy(() => s.teacher.parameters().filter((p) => p.grad !== null).length), 0, "no gradient reaches the teacher");
    opt.step();
    clearGradients(s.student);
    const teacher = params(s.teacher);
    const student = params(s.student);
    noGrad(() => tidy(() => s.afterOptimizerStep(stepContext(3, 8))));
    const after = params(s.teacher);
    after.forEach((p, i) => p.forEach((v, k) => assert.ok(Math.abs(v - (0.99 * teacher[i]![k]! + 0.01 * student[i]![k]!)) < 1e-6, `teacher parameter ${i}[${k}]`)));
    assert.notDeepEqual(after, student, "self-training: the teacher no longer copies the student");
  } finally {
    opt.dispose();
    s.dispose();
  }
});

test("bcp: without largest-component filtering the pseudo-labels are the teacher's argmax", () => {
  const s = new BCPStrategy(BCPConfigSchema.parse({ kind: "bcp", pretrainIterations: 0, largestComponent: false }), conformanceEnv(2, 8));
  try {
    const host = hostBatch(TWO_STREAMS, 6);
    tidy(() => {
      const u = toTensorBatch(host).unlabelled!;
      const argmax = noGrad(() => hardPseudoLabels(s.teacher.forward(u.image, { embedding: false }).logits));
      assert.deepEqual(ints(s.pseudoLabels(u.image)), ints(argmax));
    });
  } finally {
    s.dispose();
  }
});
