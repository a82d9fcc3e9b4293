import assert from "node:assert/strict";
import { test } from "node:test";
import { conv3d, deriveSeed, randn, seedEverything, streamGenerator, tidy } from "./index.js";

test("deriveSeed() gives distinct, stable 64-bit seeds per stream", () => {
  const a = deriveSeed(42, "init");
  assert.equal(a, deriveSeed(42, "init"));
  assert.notEqual(a, deriveSeed(42, "dropout"));
  assert.notEqual(a, deriveSeed(43, "init"));
  assert.ok(a >= 0n && a < 1n << 64n);
});

test("streamGenerator() draws the same numbers for the same seed and stream", () => {
  const draw = (seed: number, stream: string) => tidy(() => randn([5], { generator: streamGenerator(seed, stream) }).toArray());
  assert.deepEqual(draw(7, "a"), draw(7, "a"));
  assert.notDeepEqual(draw(7, "a"), draw(7, "b"));
});

test("seedEverything() makes default-generator training steps repeat exactly", () => {
  const run = () =>
    tidy(() => {
      seedEverything(123, { deterministic: true });
      const w = randn([4, 1, 3, 3, 3]).setRequiresGrad();
      const x = randn([1, 1, 6, 6, 6]);
      conv3d(x, w, null, { padding: 1 }).relu().mean().backward();
      const g = w.grad;
      return g === null ? [] : g.toArray();
    });
  const first = run();
  assert.equal(first.length, 108);
  assert.deepEqual(run(), first);
  seedEverything(0, { deterministic: false });
});
