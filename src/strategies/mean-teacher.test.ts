import assert from "node:assert/strict";
import { test } from "node:test";
import { Adam } from "../nn/index.js";
import { expectNoLeak, noGrad, setNumThreads, tidy } from "../tensor/index.js";
import { toTensorBatch } from "../training/index.js";
import { conformanceEnv, hostBatch, stepContext, strategyConformance } from "./_testing/conformance.js";
import { clearGradients, gradientMass } from "./_testing/two-stream.js";
import { MeanTeacherConfigSchema, MeanTeacherStrategy, createMeanTeacherStrategy } from "./index.js";

setNumThreads(1);

const TWO_STREAMS = { labelled: 2, unlabelled: 2, boxes: 0 };
const flat = (t: { dataSync(): unknown }) => Array.from(t.dataSync() as Float32Array);

strategyConformance("mean-teacher", {
  factory: createMeanTeacherStrategy,
  config: MeanTeacherConfigSchema.parse({ kind: "mean-teacher", consistency: { rampupIterations: 4 } }),
});

test("mean-teacher config: strict, with the published defaults", () => {
  const c = MeanTeacherConfigSchema.parse({ kind: "mean-teacher" });
  assert.deepEqual(c.ema, { decay: 0.99, warmup: true });
  assert.deepEqual(c.consistency, { weight: 0.1, rampupIterations: null, on: "unlabelled" });
  assert.deepEqual(c.noise, { std: 0.1, clip: 0.2 });
  assert.equal(c.predictWith, "student");
  assert.equal(MeanTeacherConfigSchema.safeParse({ kind: "mean-teacher", emaDecay: 0.9 }).success, false, "unknown keys are errors");
});

test("mean-teacher: the teacher starts as the student, is not optimised, and gets no gradient from the consistency term", () => {
  const s = new MeanTeacherStrategy(MeanTeacherConfigSchema.parse({ kind: "mean-teacher", loss: { diceWeight: 0, ceWeight: 0 }, consistency: { rampupIterations: 0, weight: 1 } }), conformanceEnv(2, 8));
  try {
    assert.deepEqual(
      [...s.teacher.stateDict()].map(([k, t]) => [k, flat(t)]),
      [...s.student.stateDict()].map(([k, t]) => [k, flat(t)]),
      "teacher = student at the start",
    );
    const params = new Set(s.parameters());
    assert.ok(s.teacher.parameters().every((p) => !params.has(p) && !p.requiresGrad), "teacher parameters are frozen and not in parameters()");
    assert.equal(s.parameters().length, s.student.parameters().length);
    // Only the consistency term (supervised weights 0): the student must get a gradient, the teacher none.
    const host = hostBatch(TWO_STREAMS, 3);
    expectNoLeak(() => {
      tidy(() => {
        const out = s.trainStep(toTensorBatch(host), stepContext(0, 8));
        assert.ok(out.loss.item() > 0, "the consistency term is positive (noisy teacher input)");
        out.loss.backward();
      });
      assert.ok(gradientMass(s.student) > 0, "the consistency term trains the student");
      assert.equal(tidy(() => s.teacher.parameters().filter((p) => p.grad !== null).length), 0, "no gradient reaches the teacher");
      clearGradients(s.student);
    }, "trainStep");
  } finally {
    s.dispose();
  }
});

test("mean-teacher: afterOptimizerStep moves the teacher by the EMA rule (warm-up decay min(0.99, 1 − 1/(t+1)))", () => {
  const s = new MeanTeacherStrategy(MeanTeacherConfigSchema.parse({ kind: "mean-teacher" }), conformanceEnv(2, 8));
  const opt = new Adam(s.parameters(), { lr: 0.05 });
  try {
    const key = [...s.student.namedParameters().keys()][0]!;
    const pick = (m: typeof s.student) => flat(m.namedParameters().get(key)!);
    const host = hostBatch(TWO_STREAMS, 1);
    tidy(() => s.trainStep(toTensorBatch(host), stepContext(4, 8)).loss.backward());
    opt.step();
    clearGradients(s.student);
    const teacherBefore = pick(s.teacher);
    const student = pick(s.student);
    assert.notDeepEqual(student, teacherBefore, "the optimizer step changed the student");
    noGrad(() => tidy(() => s.afterOptimizerStep(stepContext(4, 8))));
    const d = Math.min(0.99, 1 - 1 / 5);
    const after = pick(s.teacher);
    after.forEach((v, i) => assert.ok(Math.abs(v - (d * teacherBefore[i]! + (1 - d) * student[i]!)) < 1e-6, `teacher[${i}] = ${v}`));
  } finally {
    opt.dispose();
    s.dispose();
  }
});

test("mean-teacher: predictWith chooses the predicting network; consistency on 'all' covers labelled patches too", () => {
  const env = conformanceEnv(2, 8);
  const s = new MeanTeacherStrategy(MeanTeacherConfigSchema.parse({ kind: "mean-teacher", predictWith: "teacher", consistency: { on: "all", rampupIterations: 0, weight: 1 }, loss: { diceWeight: 0, ceWeight: 0 } }), env);
  const opt = new Adam(s.parameters(), { lr: 0.05 });
  try {
    assert.deepEqual(s.describe().predictWith, ["teacher"]);
    const host = hostBatch({ labelled: 2, unlabelled: 0, boxes: 0 }, 2);
    // No unlabelled stream: with on "all" the consistency term still applies (to the labelled patches).
    const loss = tidy(() => {
      const out = s.trainStep(toTensorBatch(host), stepContext(0, 8));
      out.loss.backward();
      return out.loss.item();
    });
    assert.ok(loss > 0, "consistency on labelled patches");
    opt.step();
    clearGradients(s.student);
    const [same, differs] = noGrad(() =>
      tidy(() => {
        const x = toTensorBatch(host).labelled!.image;
        const p = s.predict(x);
        const viaTeacher = s.teacher.forward(x, { embedding: false }).logits;
        const viaStudent = s.student.forward(x, { embedding: false }).logits;
        return [p.sub(viaTeacher).abs().max().item(), p.sub(viaStudent).abs().max().item()];
      }),
    );
    assert.equal(same, 0, "predict() is the teacher's forward");
    assert.ok(differs! > 0, "student and teacher differ after a step, so the check means something");
    const onlyUnlabelled = new MeanTeacherStrategy(MeanTeacherConfigSchema.parse({ kind: "mean-teacher", consistency: { rampupIterations: 0, weight: 1 }, loss: { diceWeight: 0, ceWeight: 0 } }), env);
    try {
      assert.equal(tidy(() => onlyUnlabelled.trainStep(toTensorBatch(host), stepContext(0, 8)).loss.item()), 0, "no unlabelled patches, no consistency term");
    } finally {
      onlyUnlabelled.dispose();
    }
  } finally {
    opt.dispose();
    s.dispose();
  }
});
