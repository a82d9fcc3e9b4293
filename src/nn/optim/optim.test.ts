import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Tensor, expectNoLeak, keep, memory, noGrad, randn, tensor, tidy } from "../../tensor/index.js";
import { type Enc, assertClose, decode, golden } from "../_testing/golden.js";
import { Adam, AdamW, type AdamHyper, type Optimizer, type ParamGroup, SGD, type SGDHyper, StateDictError } from "../index.js";

interface OptimCase {
  type: "SGD" | "Adam" | "AdamW";
  opts: Record<string, unknown> & { lr: number };
  groups?: Record<string, unknown>[];
  lrs?: number[];
  trajectory: Enc[][];
}

interface OptimGolden {
  params: Enc[];
  grads: (Enc | null)[][];
  cases: Record<string, OptimCase>;
}

type AnyHyper = SGDHyper | AdamHyper;

function make(c: Pick<OptimCase, "type" | "opts" | "groups">, params: Tensor[]): Optimizer<AnyHyper> {
  const spec = c.groups ? (c.groups.map((g, i) => ({ params: [params[i]], ...g })) as ParamGroup<never>[]) : params;
  const Ctor = { SGD, Adam, AdamW }[c.type];
  return new Ctor(spec, c.opts as never) as unknown as Optimizer<AnyHyper>;
}

function leafParams(encs: Enc[]): Tensor[] {
  return encs.map((e) => keep(decode(e).setRequiresGrad(true)));
}

function setGrads(params: Tensor[], grads: (Enc | null)[]): void {
  params.forEach((p, i) => {
    const g = grads[i];
    if (g === null || g === undefined) p.setGrad(null);
    else tidy(() => p.setGrad(decode(g)));
  });
}

// Same kernels in the same order as torch: agreement is expected to the last bit, 1e-6 is slack.
const TOL = { rtol: 1e-6, atol: 1e-7 };

describe("optimizers match torch.optim 1.13 (test/golden/nn.json)", () => {
  const g = golden().optim as OptimGolden;
  for (const [name, c] of Object.entries(g.cases)) {
    it(`${name}: ${c.trajectory.length} steps`, () => {
      const params = leafParams(g.params);
      const opt = make(c, params);
      c.trajectory.forEach((expected, s) => {
        if (c.lrs) opt.lr = c.lrs[s] as number;
        setGrads(params, g.grads[s] as (Enc | null)[]);
        opt.step();
        params.forEach((p, i) => assertClose(p, expected[i] as Enc, `step ${s} param ${i}`, TOL));
      });
      opt.dispose();
      params.forEach((p) => p.dispose());
    });
  }
});

describe("optimizer state", () => {
  const g = golden().optim as OptimGolden;
  const cases: [string, Pick<OptimCase, "type" | "opts" | "groups">][] = [
    ["SGD", { type: "SGD", opts: { lr: 0.05, momentum: 0.9, nesterov: true } }],
    ["Adam", { type: "Adam", opts: { lr: 0.01, amsgrad: true, weightDecay: 0.1 }, groups: [{}, { lrScale: 0.5 }] }],
    ["AdamW", { type: "AdamW", opts: { lr: 0.01 } }],
  ];
  for (const [name, c] of cases) {
    it(`${name}: stateDict()/loadStateDict() resume gives the uninterrupted trajectory exactly`, () => {
      const run = (split: number | null) => {
        let params = leafParams(g.params);
        let opt = make(c, params);
        for (let s = 0; s < 5; s++) {
          if (s === split) {
            const state = opt.stateDict();
            const meta = JSON.parse(JSON.stringify(state.meta)) as Record<string, unknown>;
            const fresh = params.map((p) => keep(noGrad(() => p.detach().clone()).setRequiresGrad(true)));
            const resumed = make({ ...c, opts: { ...c.opts, lr: 123 } }, fresh);
            resumed.loadStateDict({ tensors: state.tensors, meta });
            assert.equal(resumed.lr, c.opts.lr * (1 - (split - 1) / 10), "lr comes from the state");
            assert.equal(resumed.stepCount, split);
            opt.dispose();
            params.forEach((p) => p.dispose());
            params = fresh;
            opt = resumed;
          }
          opt.lr = c.opts.lr * (1 - s / 10);
          setGrads(params, g.grads[s] as (Enc | null)[]);
          opt.step();
        }
        const out = params.map((p) => p.toArray());
        opt.dispose();
        params.forEach((p) => p.dispose());
        return out;
      };
      assert.deepEqual(run(3), run(null));
    });
  }

  it("meta is JSON-able and records kind, lr, step counts and hyper-parameters", () => {
    const params = leafParams(g.params);
    using opt = new Adam([{ params: [params[0] as Tensor] }, { params: [params[1] as Tensor], lrScale: 0.1, weightDecay: 0.5 }], { lr: 0.02 });
    setGrads(params, [g.grads[0]?.[0] ?? null, null]);
    opt.step();
    const { tensors, meta } = opt.stateDict();
    assert.deepEqual(JSON.parse(JSON.stringify(meta)), {
      kind: "adam",
      lr: 0.02,
      stepCount: 1,
      groups: [
        { size: 1, lrScale: 1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false },
        { size: 1, lrScale: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.5, amsgrad: false, maximize: false },
      ],
      paramSteps: [1, null],
    });
    assert.deepEqual([...tensors.keys()], ["0.exp_avg", "0.exp_avg_sq"]);
    params.forEach((p) => p.dispose());
  });

  it("loadStateDict rejects another kind, another layout and ill-fitting tensors", () => {
    const params = leafParams(g.params);
    using sgd = new SGD(params, { lr: 0.1, momentum: 0.9 });
    using adam = new Adam(params);
    setGrads(params, g.grads[0] as (Enc | null)[]);
    sgd.step();
    adam.step();
    assert.throws(() => adam.loadStateDict(sgd.stateDict()), TypeError);
    using other = new Adam([params[0] as Tensor]);
    assert.throws(() => other.loadStateDict(adam.stateDict()), RangeError);
    tidy(() => {
      const state = adam.stateDict();
      const tensors = new Map(state.tensors);
      tensors.set("0.exp_avg", randn([2, 2]));
      tensors.set("1.exp_avg_sq", randn([4], { dtype: "float64" }));
      tensors.set("7.exp_avg", randn([4]));
      tensors.set("0.momentum", randn([3, 4]));
      assert.throws(
        () => adam.loadStateDict({ tensors, meta: state.meta }),
        (e: unknown) =>
          e instanceof StateDictError &&
          e.unexpected.join() === "7.exp_avg,0.momentum" &&
          e.mismatched.map((m) => `${m.key}:${m.kind}`).join() === "0.exp_avg:shape,1.exp_avg_sq:dtype" &&
          /adam optimizer/.test(e.message),
      );
    });
    params.forEach((p) => p.dispose());
  });

  it("a training step leaves the live tensor count unchanged once state exists; dispose() frees the state", () => {
    const params = leafParams(g.params);
    const base = memory().liveTensors;
    const makers = [
      () => new SGD(params, { lr: 0.01, momentum: 0.9 }),
      () => new Adam(params, { amsgrad: true }),
      () => new AdamW(params, { amsgrad: true }),
    ];
    for (const make of makers) {
      const opt = make();
      const Ctor = opt.constructor;
      setGrads(params, g.grads[0] as (Enc | null)[]);
      opt.step();
      expectNoLeak(() => {
        setGrads(params, g.grads[1] as (Enc | null)[]);
        opt.step();
        opt.zeroGrad();
      }, `${Ctor.name}.step`);
      assert.ok(params.every((p) => p.grad === null));
      opt.dispose();
      assert.equal(memory().liveTensors, base, `${Ctor.name}.dispose() frees its state`);
    }
    params.forEach((p) => p.dispose());
  });

  it("validates hyper-parameters and parameter lists", () => {
    using p = tensor([1, 2]).setRequiresGrad(true);
    assert.throws(() => new SGD([p], { lr: 0.1, nesterov: true }), RangeError);
    assert.throws(() => new SGD([p], { lr: -1 }), RangeError);
    assert.throws(() => new Adam([p], { betas: [0.9, 1] }), RangeError);
    assert.throws(() => new Adam([]), TypeError);
    assert.throws(() => new Adam([{ params: [p] }, { params: [p] }]), TypeError);
    assert.throws(() => new Adam([{ params: [p], lr: 0.1 } as never]), /unknown group option\(s\) lr/);
    assert.throws(() => new SGD([p], { lr: 0.1, momentun: 0.9 } as never), /unknown optimizer option\(s\) momentun/);
    using opt = new Adam([p], { lr: 0.1 });
    assert.throws(() => (opt.lr = Number.NaN), RangeError);
    opt.lr = 0.5;
    assert.equal(opt.paramGroups[0]?.hyper.eps, 1e-8);
    assert.equal(opt.lr, 0.5);
  });
});
