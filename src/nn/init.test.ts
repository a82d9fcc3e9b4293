import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Generator, type Tensor, manualSeed, tidy, zeros } from "../tensor/index.js";
import { type Enc, type ModuleSpec, assertClose, buildModule, golden } from "./_testing/golden.js";
import { Conv3d, Linear, init } from "./index.js";

type InitFn = "kaimingUniform" | "kaimingNormal" | "xavierUniform" | "xavierNormal";
type InitCase = { seed: number; spec: ModuleSpec; state: Record<string, Enc> } | { seed: number; fn: InitFn; opts: Record<string, unknown>; shape: number[]; value: Enc };

const EXACT = { rtol: 0, atol: 1e-7 };

describe("initialisation matches PyTorch 1.13 (test/golden/nn.json)", () => {
  for (const [name, c] of Object.entries(golden().init as Record<string, InitCase>)) {
    it(name, () => {
      manualSeed(c.seed);
      if ("spec" in c) {
        using m = buildModule(c.spec);
        for (const [k, t] of m.stateDict()) assertClose(t, c.state[k] as Enc, k, EXACT);
      } else {
        using t = zeros(c.shape);
        init[c.fn](t, c.opts as never);
        assertClose(t, c.value, c.fn, EXACT);
      }
    });
  }
});

describe("init", () => {
  it("one Generator seed reproduces a model's initial weights, independently of the default generator", () => {
    const weights = (seed: number) => {
      const g = new Generator(seed);
      using a = new Conv3d(2, 3, 3, { generator: g });
      using b = new Linear(4, 2, { generator: g });
      manualSeed(999); // must not matter
      return [a.weight.toArray(), a.bias?.toArray(), b.weight.toArray()];
    };
    assert.deepEqual(weights(5), weights(5));
    assert.notDeepEqual(weights(5), weights(6));
  });

  it("a Generator seeded s draws what the default generator draws after manualSeed(s)", () => {
    using a = new Conv3d(2, 3, 3, { generator: new Generator(42) });
    manualSeed(42);
    using b = new Conv3d(2, 3, 3);
    assert.deepEqual(a.weight.toArray(), b.weight.toArray());
  });

  it("fans() and calculateGain() follow torch.nn.init", () => {
    assert.deepEqual(init.fans([8, 4, 3, 3, 3]), { fanIn: 108, fanOut: 216 });
    assert.deepEqual(init.fans([3, 5]), { fanIn: 5, fanOut: 3 });
    assert.throws(() => init.fans([3]), RangeError);
    assert.equal(init.calculateGain("relu"), Math.SQRT2);
    assert.equal(init.calculateGain("leaky_relu"), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(init.calculateGain("leaky_relu", 0.2), Math.sqrt(2 / 1.04));
    assert.equal(init.calculateGain("tanh"), 5 / 3);
  });

  it("constant, zeros and ones fill in place without touching requiresGrad", () => {
    tidy(() => {
      const t: Tensor = zeros([2, 2], { requiresGrad: true });
      init.constant(t, 0.5);
      assert.deepEqual(t.toArray(), [0.5, 0.5, 0.5, 0.5]);
      init.ones(t);
      assert.deepEqual(t.toArray(), [1, 1, 1, 1]);
      init.zeros(t);
      assert.deepEqual(t.toArray(), [0, 0, 0, 0]);
      assert.equal(t.requiresGrad, true);
    });
  });

  it("kaimingUniform stays within gain·sqrt(3/fan)", () => {
    using t = zeros([16, 8, 3, 3, 3]);
    init.kaimingUniform(t, { nonlinearity: "relu", generator: new Generator(1) });
    const bound = Math.SQRT2 * Math.sqrt(3 / (8 * 27));
    const v = t.toArray();
    assert.ok(v.every((x) => Math.abs(x) <= bound));
    assert.ok(Math.max(...v.map(Math.abs)) > 0.95 * bound);
  });
});
