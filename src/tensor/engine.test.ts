// Engine-wide behaviour: random generators and seeding, grad mode, autograd entry points,
// threads, operator schemas and engine facts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Tensor,
  Generator,
  NativeError,
  add,
  backwardAll,
  enableGrad,
  engineInfo,
  grad,
  isGradEnabled,
  manualSeed,
  memory,
  mul,
  noGrad,
  numThreads,
  ones,
  opSchema,
  rand,
  randint,
  randn,
  randperm,
  setDeterministic,
  setNumThreads,
  sum,
  tensor,
  tidy,
} from "./index.js";

/** Runs `fn` in a scope and checks it leaves no native tensors behind. */
function clean(fn: () => void): void {
  const before = memory().liveTensors;
  tidy(fn);
  assert.equal(memory().liveTensors, before, "native tensors leaked");
}

describe("random generators", () => {
  test("Generator: the same seed gives the same randn draws", () => {
    clean(() => {
      const a = randn([3, 4], { generator: new Generator(123) }).toArray();
      const b = randn([3, 4], { generator: new Generator(123) }).toArray();
      const c = randn([3, 4], { generator: new Generator(124) }).toArray();
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
      const g = new Generator(5);
      const first = randn([4], { generator: g }).toArray();
      const second = randn([4], { generator: g }).toArray();
      assert.notDeepEqual(first, second, "a generator advances");
      assert.equal(new Generator(2n ** 64n - 1n).seed, 2n ** 64n - 1n);
      assert.equal(new Generator(-1).seed, 2n ** 64n - 1n, "seeds are taken modulo 2^64");
    });
  });

  test("Generator: getState()/setState() round-trip replays the same draws", () => {
    clean(() => {
      const g = new Generator(77);
      randn([5], { generator: g });
      const state = g.getState();
      assert.equal(state.dtype, "uint8");
      const a = rand([6], { generator: g }).toArray();
      const ia = randint(0, 100, [6], { generator: g }).toArray();
      g.setState(state);
      assert.deepEqual(rand([6], { generator: g }).toArray(), a);
      assert.deepEqual(randint(0, 100, [6], { generator: g }).toArray(), ia);
      const other = new Generator(1);
      other.setState(state);
      assert.deepEqual(rand([6], { generator: other }).toArray(), a, "a state moves between generators");
    });
  });

  test("Generator draws do not touch the default generator", () => {
    clean(() => {
      manualSeed(9);
      const expected = randn([3]).toArray();
      manualSeed(9);
      randn([100], { generator: new Generator(1) });
      assert.deepEqual(randn([3]).toArray(), expected);
    });
  });

  test("manualSeed() makes default-generator draws reproducible", () => {
    clean(() => {
      manualSeed(42);
      const a = [randn([4]).toArray(), rand([4]).toArray(), randperm(8).toArray()];
      manualSeed(42);
      const b = [randn([4]).toArray(), rand([4]).toArray(), randperm(8).toArray()];
      assert.deepEqual(a, b);
      manualSeed(43n);
      assert.notDeepEqual(randn([4]).toArray(), a[0]);
    });
  });
});

describe("grad mode", () => {
  test("noGrad() disables recording and restores the previous mode", () => {
    clean(() => {
      const x = ones([3], { requiresGrad: true });
      assert.equal(isGradEnabled(), true);
      const y = noGrad(() => {
        assert.equal(isGradEnabled(), false);
        return mul(x, 2);
      });
      assert.equal(y.requiresGrad, false);
      assert.equal(isGradEnabled(), true);
      assert.equal(mul(x, 2).requiresGrad, true);
      const z = noGrad(() => enableGrad(() => mul(x, 2)));
      assert.equal(z.requiresGrad, true, "enableGrad() records inside noGrad()");
      assert.throws(() =>
        noGrad(() => {
          throw new Error("inside");
        }),
      );
      assert.equal(isGradEnabled(), true, "restored after a throw");
      assert.throws(() => noGrad(async () => 1), TypeError);
      assert.equal(isGradEnabled(), true, "restored after an async function");
    });
  });
});

describe("autograd", () => {
  test("grad() returns gradients without accumulating them", () => {
    clean(() => {
      const x = tensor([1, 2, 3], [3], { dtype: "float64", requiresGrad: true });
      const y = sum(mul(mul(x, x), x));
      const [g] = grad([y], [x]);
      assert.deepEqual(g?.toArray(), [3, 12, 27]);
      assert.equal(x.grad, null, "grad() does not write .grad");
    });
  });

  test("grad() with createGraph gives second derivatives", () => {
    clean(() => {
      const x = tensor([1, 2, 3], [3], { dtype: "float64", requiresGrad: true });
      const y = sum(mul(mul(x, x), x));
      const [g] = grad([y], [x], { createGraph: true });
      assert.ok(g?.requiresGrad);
      const [gg] = grad([sum(g as Tensor)], [x]);
      assert.deepEqual(gg?.toArray(), [6, 12, 18]);
    });
  });

  test("grad() handles unused inputs and gradOutputs", () => {
    clean(() => {
      const x = tensor([1, 2], [2], { requiresGrad: true });
      const unused = tensor([5], [1], { requiresGrad: true });
      const y = mul(x, 3);
      const [gx, gu] = grad([y], [x, unused], { gradOutputs: [tensor([1, 10])], allowUnused: true, retainGraph: true });
      assert.deepEqual(gx?.toArray(), [3, 30]);
      assert.equal(gu, null);
      assert.throws(() => grad([y], [x, unused], { gradOutputs: [tensor([1, 1])] }), NativeError);
    });
  });

  test("backwardAll() accumulates gradients from several outputs", () => {
    clean(() => {
      const x = tensor([1, 2, 3], [3], { requiresGrad: true });
      const y1 = sum(mul(x, 2));
      const y2 = mul(x, x);
      backwardAll([y1, y2], [tensor(1), tensor([1, 1, 1])]);
      assert.deepEqual(x.grad?.toArray(), [4, 6, 8]);
    });
  });

  test("backward() with retainGraph can run twice and accumulates; without it the second run fails", () => {
    clean(() => {
      const x = tensor([1, 2], [2], { requiresGrad: true });
      const y = sum(mul(x, x));
      y.backward(undefined, { retainGraph: true });
      y.backward();
      assert.deepEqual(x.grad?.toArray(), [4, 8]);
      assert.throws(() => y.backward(), (e: unknown) => e instanceof NativeError && /second time/.test(e.message));
    });
  });

  test("backward() with an upstream gradient, and setGrad() replaces or clears .grad", () => {
    clean(() => {
      const x = tensor([1, 2, 3], [3], { requiresGrad: true });
      assert.equal(x.hasGrad, false);
      const liveBefore = memory().liveTensors;
      assert.equal(x.hasGrad, false);
      assert.equal(memory().liveTensors, liveBefore, "hasGrad creates no handle");
      add(mul(x, 2), 1).backward(tensor([1, 0, -1]));
      assert.equal(x.hasGrad, true);
      assert.deepEqual(x.grad?.toArray(), [2, 0, -2]);
      x.setGrad(tensor([7, 7, 7]));
      assert.deepEqual(x.grad?.toArray(), [7, 7, 7]);
      x.setGrad(null);
      assert.equal(x.grad, null);
      assert.throws(() => mul(x, 2).backward(), /grad can be implicitly created only for scalar outputs/);
    });
  });
});

describe("engine settings", () => {
  test("setNumThreads() changes libtorch's intra-op thread count and rejects bad counts", () => {
    const original = numThreads();
    try {
      setNumThreads(1);
      assert.equal(numThreads(), 1);
      setNumThreads(2);
      assert.equal(numThreads(), 2);
      assert.throws(() => setNumThreads(0), RangeError);
      assert.throws(() => setNumThreads(1.5), RangeError);
    } finally {
      setNumThreads(original);
    }
    assert.equal(numThreads(), original);
  });

  test("opSchema() returns an operator's ATen schema", () => {
    assert.match(opSchema("aten::conv3d"), /^aten::conv3d\(Tensor input, Tensor weight, Tensor\? bias=None, int\[3\] stride=1/);
    assert.match(opSchema("aten::add.Tensor"), /^aten::add\.Tensor\(Tensor self, Tensor other, \*, Scalar alpha=1\) -> Tensor$/);
    assert.throws(() => opSchema("aten::not_an_op"), (e: unknown) => e instanceof NativeError && e.op === "aten::not_an_op");
  });

  test("engineInfo() reports the libtorch version and build", () => {
    const info = engineInfo();
    assert.match(info.torchVersion, /^\d+\.\d+\.\d+/);
    assert.ok(info.config.length > 0);
    assert.equal(typeof info.cudaAvailable, "boolean");
    assert.equal(info.numThreads, numThreads());
  });

  test("setDeterministic() can be switched on and off", () => {
    clean(() => {
      setDeterministic(true);
      try {
        assert.deepEqual(add(ones([2]), 1).toArray(), [2, 2]);
      } finally {
        setDeterministic(false);
      }
    });
  });
});
