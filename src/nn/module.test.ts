import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Tensor, expectNoLeak, memory, ones, randn, tidy, zeros } from "../tensor/index.js";
import { BatchNorm3d, Conv3d, Linear, Module, ReLU, Sequential, StateDictError } from "./index.js";

/** conv -> norm -> act, as a UNet stage would be built. */
class Block extends Module {
  readonly conv: Conv3d;
  readonly norm: BatchNorm3d;

  constructor(cin: number, cout: number) {
    super();
    this.conv = this.registerModule("conv", new Conv3d(cin, cout, 3, { padding: 1 }));
    this.norm = this.registerModule("norm", new BatchNorm3d(cout));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.norm.forward(this.conv.forward(x)).relu());
  }
}

class Net extends Module {
  readonly enc: Sequential;
  readonly head: Linear;

  constructor() {
    super();
    this.enc = this.registerModule("enc", new Sequential(new Block(1, 2), new Block(2, 2)));
    this.head = this.registerModule("head", new Linear(2, 3));
    this.registerParameter("scale", ones([1]));
    this.registerBuffer("cache", zeros([2]), { persistent: false });
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.head.forward(this.enc.forward(x).mean([2, 3, 4])).mul(this.param("scale")));
  }
}

/** Parameters plus buffers: the tensors a module owns. */
const ownedCount = (m: Module): number => m.parameters().length + m.namedBuffers().size;

describe("Module", () => {
  it("names parameters and buffers hierarchically, in PyTorch's order", () => {
    using net = new Net();
    assert.deepEqual(
      [...net.namedParameters().keys()],
      ["scale", "enc.0.conv.weight", "enc.0.conv.bias", "enc.0.norm.weight", "enc.0.norm.bias", "enc.1.conv.weight", "enc.1.conv.bias", "enc.1.norm.weight", "enc.1.norm.bias", "head.weight", "head.bias"],
    );
    assert.deepEqual(
      [...net.namedBuffers().keys()],
      ["cache", "enc.0.norm.running_mean", "enc.0.norm.running_var", "enc.0.norm.num_batches_tracked", "enc.1.norm.running_mean", "enc.1.norm.running_var", "enc.1.norm.num_batches_tracked"],
    );
    assert.deepEqual([...net.stateDict().keys()].slice(0, 8), [
      "scale",
      "enc.0.conv.weight",
      "enc.0.conv.bias",
      "enc.0.norm.weight",
      "enc.0.norm.bias",
      "enc.0.norm.running_mean",
      "enc.0.norm.running_var",
      "enc.0.norm.num_batches_tracked",
    ]);
    assert.equal(net.stateDict().has("cache"), false, "non-persistent buffers stay out of the state dict");
    assert.equal(net.parameters().length, 11);
    assert.equal(net.parameterCount(), 1 + (2 * 27 + 2 + 4) + (2 * 2 * 27 + 2 + 4) + (6 + 3));
    assert.ok(net.parameters().every((p) => p.requiresGrad));
    assert.deepEqual([...net.namedModules().keys()], ["", "enc", "enc.0", "enc.0.conv", "enc.0.norm", "enc.1", "enc.1.conv", "enc.1.norm", "head"]);
  });

  it("stateDict() hands out the module's own tensors (borrowed, not copies)", () => {
    using lin = new Linear(2, 2);
    assert.equal(lin.stateDict().get("weight"), lin.weight);
    assert.equal(lin.parameters()[0], lin.weight);
  });

  it("train()/eval() propagate to every descendant", () => {
    using net = new Net();
    assert.ok(net.modules().every((m) => m.training));
    net.eval();
    assert.ok(net.modules().every((m) => !m.training));
    net.enc.train();
    assert.equal(net.training, false);
    assert.ok(net.enc.modules().every((m) => m.training));
  });

  it("zeroGrad() clears every gradient to null", () => {
    using net = new Net();
    tidy(() => net.forward(randn([2, 1, 3, 3, 3])).sum().backward());
    assert.ok(net.parameters().every((p) => tidy(() => p.grad !== null)));
    net.zeroGrad();
    assert.ok(net.parameters().every((p) => p.grad === null));
  });

  it("survives the tidy() it was built in, and dispose() frees everything it owns", () => {
    const before = memory().liveTensors;
    const net = tidy(() => {
      const n = new Net();
      randn([3]); // a temporary the scope frees
      return n;
    });
    assert.equal(memory().liveTensors, before + ownedCount(net));
    net.dispose();
    net.dispose();
    assert.equal(net.isDisposed, true);
    assert.equal(memory().liveTensors, before);
  });

  it("lists a shared child once, so its parameters are optimised once", () => {
    class Twice extends Module {
      constructor(shared: Linear) {
        super();
        this.registerModule("a", shared);
        this.registerModule("b", shared);
      }
      forward(): void {}
    }
    using m = new Twice(new Linear(2, 2));
    assert.deepEqual([...m.namedParameters().keys()], ["a.weight", "a.bias"]);
  });

  it("rejects duplicate and dotted names", () => {
    class Bad extends Module {
      constructor(name: string) {
        super();
        this.registerModule("a", new ReLU());
        this.registerBuffer(name, null);
      }
      forward(): void {}
    }
    assert.throws(() => new Bad("a"), TypeError);
    assert.throws(() => new Bad("x.y"), TypeError);
  });

  it("loadStateDict round-trips another model's state exactly", () => {
    expectNoLeak(() => {
      const a = new Net();
      const b = new Net();
      tidy(() => {
        a.forward(randn([2, 1, 3, 3, 3])); // moves running stats away from their defaults
      });
      b.loadStateDict(a.stateDict());
      for (const [k, t] of a.stateDict()) assert.deepEqual(b.stateDict().get(k)?.toArray(), t.toArray(), k);
      assert.equal(b.stateDict().get("enc.0.norm.num_batches_tracked")?.item(), 1);
      a.dispose();
      b.dispose();
    });
  });

  it("loadStateDict copies in place (the parameters keep their identity) and records no gradient", () => {
    using lin = new Linear(2, 2);
    const w = lin.weight;
    tidy(() => lin.loadStateDict(new Map([["weight", ones([2, 2])], ["bias", zeros([2])]])));
    assert.equal(lin.weight, w);
    assert.deepEqual(w.toArray(), [1, 1, 1, 1]);
    assert.equal(w.requiresGrad, true);
  });

  it("StateDictError lists every missing key, unexpected key, shape and dtype mismatch", () => {
    using lin = new Linear(3, 2);
    const before = lin.weight.toArray();
    tidy(() => {
      const bad = new Map<string, Tensor>([
        ["weight", zeros([2, 4])],
        ["bias", zeros([2], { dtype: "float64" })],
        ["extra", zeros([1])],
      ]);
      const good = new Map<string, Tensor>([["weight", zeros([2, 3])]]);
      assert.throws(
        () => lin.loadStateDict(bad),
        (e: unknown) => {
          assert.ok(e instanceof StateDictError);
          assert.deepEqual(e.missing, []);
          assert.deepEqual(e.unexpected, ["extra"]);
          assert.deepEqual(e.mismatched, [
            { key: "weight", kind: "shape", expected: "[2,3]", received: "[2,4]" },
            { key: "bias", kind: "dtype", expected: "float32", received: "float64" },
          ]);
          assert.match(e.message, /Cannot load state dict into Linear: 1 unexpected key, 2 mismatches\./);
          assert.match(e.message, /unexpected key: extra/);
          assert.match(e.message, /shape mismatch for weight: expected \[2,3\], received \[2,4\]/);
          assert.match(e.message, /dtype mismatch for bias: expected float32, received float64/);
          return true;
        },
      );
      assert.deepEqual(lin.weight.toArray(), before, "a failed load copies nothing");
      assert.throws(() => lin.loadStateDict(good), (e: unknown) => e instanceof StateDictError && /1 missing key\.\n {2}missing key: bias$/.test(e.message));
      lin.loadStateDict(good, { strict: false });
      assert.deepEqual(lin.weight.toArray(), [0, 0, 0, 0, 0, 0]);
      assert.throws(() => lin.loadStateDict(bad, { strict: false }), (e: unknown) => e instanceof StateDictError && e.unexpected.length === 0 && e.mismatched.length === 2);
    });
  });

  it("to({ dtype }) casts floating tensors only and keeps requiresGrad", () => {
    using net = new Net();
    expectNoLeak(() => {
      net.to({ dtype: "float64" });
    });
    assert.ok(net.parameters().every((p) => p.dtype === "float64" && p.requiresGrad));
    assert.equal(net.stateDict().get("enc.0.norm.running_var")?.dtype, "float64");
    assert.equal(net.stateDict().get("enc.0.norm.num_batches_tracked")?.dtype, "int64");
    assert.equal(net.enc.at(0) instanceof Block && (net.enc.at(0) as Block).conv.weight.dtype, "float64");
    const y = tidy(() => net.forward(randn([1, 1, 3, 3, 3], { dtype: "float64" })));
    assert.equal(y.dtype, "float64");
    y.dispose();
    assert.equal(net.to({ device: "cpu" }), net);
  });

  it("setRequiresGrad(false) freezes every parameter", () => {
    using lin = new Linear(2, 2);
    lin.setRequiresGrad(false);
    assert.ok(lin.parameters().every((p) => !p.requiresGrad));
  });
});

