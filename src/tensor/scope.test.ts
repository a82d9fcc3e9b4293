// Memory management of native tensors: tidy scopes, keep, dispose/using, expectNoLeak, memory().
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Tensor,
  add,
  expectNoLeak,
  expectNoLeakAsync,
  keep,
  memory,
  mul,
  ones,
  resetPeakMemory,
  scopeDepth,
  tidy,
  zeros,
} from "./index.js";

const live = (): number => memory().liveTensors;

describe("tidy()", () => {
  test("tidy() disposes intermediates and keeps the returned tensor", () => {
    const before = live();
    let intermediate: Tensor | undefined;
    const out = tidy(() => {
      intermediate = ones([2, 2]);
      return mul(add(intermediate, 1), 2);
    });
    assert.equal(intermediate?.isDisposed, true);
    assert.equal(out.isDisposed, false);
    assert.deepEqual(out.toArray(), [4, 4, 4, 4]);
    assert.equal(live(), before + 1);
    out.dispose();
    assert.equal(live(), before);
  });

  test("tidy() keeps every tensor reachable from returned arrays, objects and maps", () => {
    const before = live();
    let dropped: Tensor | undefined;
    const r = tidy(() => {
      dropped = zeros([1]);
      return { a: ones([1]), list: [ones([2]), { deep: ones([3]) }], map: new Map([["m", ones([4])]]), n: 3 };
    });
    assert.equal(dropped?.isDisposed, true);
    const kept = [r.a, r.list[0] as Tensor, (r.list[1] as { deep: Tensor }).deep, r.map.get("m") as Tensor];
    assert.ok(kept.every((t) => !t.isDisposed));
    assert.deepEqual(kept.map((t) => t.size), [1, 2, 3, 4]);
    assert.equal(r.n, 3);
    assert.equal(live(), before + 4);
    for (const t of kept) t.dispose();
    assert.equal(live(), before);
  });

  test("nested tidy() hands the inner result to the outer scope, which disposes it unless returned", () => {
    const before = live();
    let inner: Tensor | undefined;
    let depthInside = 0;
    const out = tidy(() => {
      inner = tidy(() => {
        depthInside = scopeDepth();
        return add(ones([2]), 1);
      });
      assert.equal(inner.isDisposed, false, "the inner result survives the inner scope");
      return mul(inner, 3);
    });
    assert.equal(depthInside, 2);
    assert.equal(scopeDepth(), 0);
    assert.equal(inner?.isDisposed, true, "the outer scope disposes the inner result it did not return");
    assert.deepEqual(out.toArray(), [6, 6]);
    out.dispose();

    const passedUp = tidy(() => tidy(() => ones([3])));
    assert.equal(passedUp.isDisposed, false, "a result returned by both scopes survives both");
    passedUp.dispose();
    assert.equal(live(), before);
  });

  test("tidy() leaves tensors created before it alone, even when it returns them", () => {
    const x = ones([2]);
    const r = tidy(() => {
      add(x, 1);
      return x;
    });
    assert.equal(r, x);
    assert.equal(x.isDisposed, false);
    tidy(() => void add(x, 1));
    assert.equal(x.isDisposed, false);
    x.dispose();
  });

  test("tidy() disposes everything created inside when its function throws, and rethrows", () => {
    const before = live();
    let made: Tensor | undefined;
    assert.throws(
      () =>
        tidy(() => {
          made = tidy(() => ones([3]));
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(made?.isDisposed, true);
    assert.equal(scopeDepth(), 0, "scopes are closed after a throw");
    assert.equal(live(), before);
  });

  test("tidy() rejects an async function with a TypeError and frees its tensors", async () => {
    const before = live();
    let made: Tensor | undefined;
    let unhandled: unknown = null;
    const onUnhandled = (e: unknown) => {
      unhandled = e;
    };
    process.on("unhandledRejection", onUnhandled);
    try {
      assert.throws(
        () =>
          tidy(async () => {
            made = ones([2]);
            await Promise.resolve();
            return made;
          }),
        (e: unknown) => e instanceof TypeError && /cannot run an async function/.test(e.message),
      );
      assert.equal(made?.isDisposed, true);
      // A rejecting async function: the caller sees the TypeError, and the abandoned promise
      // must not turn into an unhandled rejection.
      assert.throws(
        () =>
          tidy(async () => {
            throw new Error("async failure");
          }),
        TypeError,
      );
      await new Promise((r) => setImmediate(r));
      assert.equal(unhandled, null);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
    assert.equal(scopeDepth(), 0);
    assert.equal(live(), before);
  });
});

describe("keep() and dispose()", () => {
  test("keep() lets a tensor outlive every open scope", () => {
    const before = live();
    let kept: Tensor | undefined;
    tidy(() => {
      tidy(() => {
        kept = keep(ones([2]));
        ones([2]);
      });
      assert.equal(kept?.isDisposed, false);
    });
    assert.equal(kept?.isDisposed, false);
    assert.equal(live(), before + 1);
    kept?.dispose();
    assert.equal(live(), before);
  });

  test("dispose() is idempotent and a disposed tensor cannot be used", () => {
    const before = live();
    const t = ones([2, 3]);
    assert.equal(live(), before + 1);
    t.dispose();
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.equal(live(), before, "a second dispose() frees nothing more");
    assert.throws(() => t.dataSync(), /disposed tensor/);
    assert.throws(() => add(t, 1), /disposed tensor/);
    assert.equal(String(t), "Tensor(disposed)");
  });

  test("`using` disposes a tensor at the end of its block", () => {
    const before = live();
    let seen: Tensor | undefined;
    {
      using t = ones([4]);
      seen = t;
      assert.equal(t.isDisposed, false);
      assert.equal(live(), before + 1);
    }
    assert.equal(seen.isDisposed, true);
    assert.equal(live(), before);
  });
});

describe("expectNoLeak()", () => {
  test("expectNoLeak() passes a clean function and disposes what it returns", () => {
    let returned: Tensor | undefined;
    expectNoLeak(() => {
      returned = tidy(() => add(ones([2]), 1));
      return { result: returned, again: [returned] };
    });
    assert.equal(returned?.isDisposed, true, "a tensor returned twice is counted and disposed once");
  });

  test("expectNoLeak() detects a leaked tensor and names the function", () => {
    const leaked: Tensor[] = [];
    try {
      assert.throws(
        () =>
          expectNoLeak(() => {
            const a = ones([2]);
            leaked.push(a);
            return add(a, 1);
          }, "leaky step"),
        /leaky step leaked 1 native tensor/,
      );
    } finally {
      for (const t of leaked) t.dispose();
    }
  });
});

describe("expectNoLeakAsync()", () => {
  test("expectNoLeakAsync() passes a clean async function and detects a leak across an await", async () => {
    await expectNoLeakAsync(async () => {
      const t = ones([2]);
      await Promise.resolve();
      t.dispose();
    });
    const leaked: Tensor[] = [];
    try {
      await assert.rejects(
        expectNoLeakAsync(async () => {
          await Promise.resolve();
          leaked.push(ones([2]));
        }, "async step"),
        /async step leaked 1 native tensor/,
      );
    } finally {
      for (const t of leaked) t.dispose();
    }
  });
});

describe("memory()", () => {
  test("memory() counts live tensors and bytes, and tracks the peak", () => {
    resetPeakMemory();
    const m0 = memory();
    assert.equal(m0.peakBytes, m0.liveBytes);
    const a = zeros([10, 10]);
    const b = zeros([3], { dtype: "float64" });
    const m1 = memory();
    assert.equal(m1.liveTensors, m0.liveTensors + 2);
    assert.equal(m1.liveBytes, m0.liveBytes + 400 + 24);
    assert.ok(m1.peakBytes >= m1.liveBytes);
    a.dispose();
    b.dispose();
    const m2 = memory();
    assert.equal(m2.liveTensors, m0.liveTensors);
    assert.equal(m2.liveBytes, m0.liveBytes);
    assert.ok(m2.peakBytes >= m1.liveBytes, "the peak remembers the high-water mark");
    resetPeakMemory();
    assert.equal(memory().peakBytes, m2.liveBytes);
  });
});
