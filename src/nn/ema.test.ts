import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { expectNoLeak, randn, tidy } from "../tensor/index.js";
import { BatchNorm3d, Conv3d, EMA, Linear, Sequential, StateDictError, emaDecay } from "./index.js";

/** A conv + batch-norm pair: parameters and buffers. */
const model = () => new Sequential(new Conv3d(1, 2, 1), new BatchNorm3d(2));

describe("EMA", () => {
  it("emaDecay warms up as min(decay, 1 - 1/(step+1))", () => {
    assert.equal(emaDecay(0.99, 0), 0);
    assert.equal(emaDecay(0.99, 1), 0.5);
    assert.equal(emaDecay(0.99, 9), 0.9);
    assert.equal(emaDecay(0.99, 1000), 0.99);
    assert.equal(emaDecay(0.99, 0, false), 0.99);
  });

  it("teacher = decay·teacher + (1-decay)·student for parameters; buffers are copied", () => {
    using student = model();
    using teacher = model();
    tidy(() => {
      student.forward(randn([2, 1, 2, 2, 2])); // running stats and the batch counter move
    });
    const t0 = new Map([...teacher.namedParameters()].map(([k, t]) => [k, t.toArray()]));
    const ema = new EMA(teacher, { decay: 0.9, warmup: false });
    expectNoLeak(() => assert.equal(ema.update(student, 0), 0.9));
    for (const [k, s] of student.namedParameters()) {
      const sv = s.toArray();
      const got = teacher.namedParameters().get(k)?.toArray() ?? [];
      (t0.get(k) as number[]).forEach((t, i) => assert.ok(Math.abs((got[i] as number) - (0.9 * t + 0.1 * (sv[i] as number))) < 1e-6, `${k}[${i}]`));
    }
    for (const [k, b] of student.namedBuffers()) assert.deepEqual(teacher.namedBuffers().get(k)?.toArray(), b.toArray(), k);
    assert.equal(teacher.namedBuffers().get("1.num_batches_tracked")?.item(), 1);
  });

  it("with warm-up, step 0 makes the teacher a copy of the student", () => {
    using student = model();
    using teacher = model();
    new EMA(teacher, { decay: 0.999 }).update(student, 0);
    for (const [k, s] of student.stateDict()) assert.deepEqual(teacher.stateDict().get(k)?.toArray(), s.toArray(), k);
  });

  it("refuses a teacher with another architecture, listing the differences", () => {
    using student = new Linear(3, 2);
    using teacher = new Linear(4, 2, { bias: false });
    assert.throws(() => new EMA(teacher).update(student, 5), (e: unknown) => e instanceof StateDictError && /EMA teacher/.test(e.message) && e.unexpected.includes("bias"));
    assert.throws(() => new EMA(teacher, { decay: 1.5 }), RangeError);
  });

  it("does not record gradients into the teacher", () => {
    using student = new Linear(2, 2);
    using teacher = new Linear(2, 2);
    new EMA(teacher, { decay: 0.5 }).update(student, 10);
    assert.ok(teacher.parameters().every((p) => p.grad === null && p.requiresGrad));
  });
});
