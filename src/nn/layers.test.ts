import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Tensor, ShapeError, expectNoLeak, randn, tidy } from "../tensor/index.js";
import { type Enc, type ModuleSpec, assertClose, buildModule, decode, decodeState, golden } from "./_testing/golden.js";
import { BatchNorm3d, Conv3d, ConvTranspose3d, GroupNorm, Identity, Linear, Sequential } from "./index.js";

interface Call {
  train: boolean;
  input: Enc;
  output: Enc;
  upstream?: Enc;
  grads?: Record<string, Enc>;
}

interface LayerCase {
  spec: ModuleSpec;
  state: Record<string, Enc>;
  calls: Call[];
  finalState: Record<string, Enc>;
}

const TOL = { rtol: 1e-5, atol: 2e-5 };

describe("layers match PyTorch 1.13 (test/golden/nn.json)", () => {
  const cases = golden().layers as Record<string, LayerCase>;
  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: forward${c.calls.some((k) => k.grads) ? ", backward" : ""} and state updates`, () => {
      expectNoLeak(() => {
        const m = buildModule(c.spec);
        tidy(() => m.loadStateDict(decodeState(c.state)));
        c.calls.forEach((call, i) =>
          tidy(() => {
            m.train(call.train);
            const x = decode(call.input);
            if (call.grads) x.setRequiresGrad(true);
            const y = m.forward(x);
            assertClose(y, call.output, `call ${i} output`, TOL);
            if (call.grads && call.upstream) {
              y.mul(decode(call.upstream)).sum().backward();
              const grads = new Map<string, Tensor | null>([["input", x.grad], ...[...m.namedParameters()].map(([k, p]) => [k, p.grad] as [string, Tensor | null])]);
              assert.deepEqual([...grads.keys()].sort(), Object.keys(call.grads).sort());
              for (const [k, g] of grads) assertClose(g as Tensor, call.grads[k] as Enc, `call ${i} grad of ${k}`, TOL);
            }
          }),
        );
        const state = m.stateDict();
        assert.deepEqual([...state.keys()], Object.keys(c.finalState), "state dict keys and order match PyTorch");
        for (const [k, t] of state) assertClose(t, c.finalState[k] as Enc, `final ${k}`, TOL);
        m.dispose();
      }, name);
    });
  }
});

describe("layer arguments", () => {
  it("Conv3d rejects a wrong input shape with a ShapeError naming the layout", () => {
    using conv = new Conv3d(2, 4, 3);
    using x = randn([1, 3, 4, 4, 4]);
    assert.throws(() => conv.forward(x), (e: unknown) => e instanceof ShapeError && /\(N, 2, D, H, W\)/.test(e.message) && /\[1,3,4,4,4\]/.test(e.message));
  });

  it("layers validate their constructor arguments", () => {
    assert.throws(() => new Conv3d(3, 4, 3, { groups: 2 }), RangeError);
    assert.throws(() => new Conv3d(2, 4, 0), RangeError);
    assert.throws(() => new Conv3d(2, 4, 3, { padding: "same", stride: 2 }), RangeError);
    assert.throws(() => new ConvTranspose3d(2, 2, 2, { stride: 2, outputPadding: 2 }), RangeError);
    assert.throws(() => new GroupNorm(3, 4), RangeError);
    assert.throws(() => new Linear(0, 2), RangeError);
  });

  it("weights have PyTorch's layouts", () => {
    using conv = new Conv3d(4, 6, [3, 1, 2], { groups: 2 });
    assert.deepEqual(conv.weight.shape, [6, 2, 3, 1, 2]);
    using up = new ConvTranspose3d(4, 6, 2, { groups: 2, bias: false });
    assert.deepEqual(up.weight.shape, [4, 3, 2, 2, 2]);
    assert.equal(up.bias, null);
    using lin = new Linear(5, 3);
    assert.deepEqual(lin.weight.shape, [3, 5]);
    assert.deepEqual(lin.bias?.shape, [3]);
  });

  it("BatchNorm3d counts training batches only, and eval mode leaves running stats alone", () => {
    using bn = new BatchNorm3d(2);
    tidy(() => {
      bn.forward(randn([2, 2, 2, 2, 2]));
      bn.forward(randn([2, 2, 2, 2, 2]));
      bn.eval();
      const before = bn.runningMean?.toArray();
      bn.forward(randn([2, 2, 2, 2, 2]));
      assert.deepEqual(bn.runningMean?.toArray(), before);
    });
    assert.equal(bn.numBatchesTracked?.item(), 2);
    assert.equal(bn.numBatchesTracked?.dtype, "int64");
  });

  it("Sequential names children 0, 1, ... and releases intermediates", () => {
    using seq = new Sequential(new Linear(3, 4), new Identity(), new Linear(4, 2));
    assert.deepEqual([...seq.namedParameters().keys()], ["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert.equal(seq.length, 3);
    assert.ok(seq.at(-1) instanceof Linear);
    using x = randn([5, 3]);
    expectNoLeak(() => seq.forward(x), "Sequential.forward");
  });

  it("an empty Sequential returns a fresh handle, never its input", () => {
    using seq = new Sequential();
    using x = randn([2]);
    const y = seq.forward(x);
    assert.notEqual(y, x);
    y.dispose();
    assert.equal(x.isDisposed, false);
  });
});
