import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Generator, expectNoLeak, ones, tidy } from "../tensor/index.js";
import { Dropout, Dropout3d } from "./index.js";

describe("Dropout", () => {
  it("is the identity in eval mode", () => {
    using d = new Dropout(0.5).eval();
    using x = ones([4, 5]);
    expectNoLeak(() => assert.deepEqual(tidy(() => d.forward(x).toArray()), x.toArray()));
  });

  it("zeroes about p of the elements and scales the rest by 1/(1-p)", () => {
    using d = new Dropout(0.25, { generator: new Generator(3) });
    const y = tidy(() => d.forward(ones([100, 100])).toArray());
    const zeros = y.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / y.length - 0.25) < 0.02, `dropped fraction ${zeros / y.length}`);
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
  });

  it("draws the same masks from the same seed, different ones from another", () => {
    const masks = (seed: number) => {
      using d = new Dropout(0.5, { generator: new Generator(seed) });
      return tidy(() => [d.forward(ones([64])).toArray(), d.forward(ones([64])).toArray()]);
    };
    assert.deepEqual(masks(1), masks(1));
    assert.notDeepEqual(masks(1), masks(2));
    const [first, second] = masks(1);
    assert.notDeepEqual(first, second, "the generator advances between calls");
  });

  it("rejects p outside [0, 1)", () => {
    assert.throws(() => new Dropout(1), RangeError);
    assert.throws(() => new Dropout3d(-0.1), RangeError);
  });
});

describe("Dropout3d", () => {
  it("drops whole channels of (N, C, D, H, W) and scales the rest", () => {
    using d = new Dropout3d(0.5, { generator: new Generator(11) });
    const y = tidy(() => d.forward(ones([4, 8, 2, 3, 2])).toArray());
    const per = 12;
    let dropped = 0;
    for (let c = 0; c < 32; c++) {
      const ch = y.slice(c * per, (c + 1) * per);
      assert.ok(ch.every((v) => v === ch[0]), `channel ${c} is not uniform`);
      assert.ok(ch[0] === 0 || ch[0] === 2);
      if (ch[0] === 0) dropped++;
    }
    assert.ok(dropped > 4 && dropped < 28, `dropped ${dropped} of 32 channels`);
  });

  it("does not leak and is the identity in eval mode", () => {
    using d = new Dropout3d(0.3, { generator: new Generator(1) });
    using x = ones([1, 2, 2, 2, 2]);
    expectNoLeak(() => d.forward(x));
    d.eval();
    assert.deepEqual(tidy(() => d.forward(x).toArray()), x.toArray());
  });
});
