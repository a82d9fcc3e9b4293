import assert from "node:assert/strict";
import { test } from "node:test";
import { consistencyWeight } from "../../losses/index.js";
import { rampedWeight } from "./semi-common.js";

test("rampedWeight(): R = 6000 is the papers' exp(−5(1 − ⌊it/150⌋/40)²); other lengths reach full weight at the first step past R", () => {
  for (const it of [0, 149, 150, 3000, 5999, 6000, 9000]) assert.equal(rampedWeight(it, 0.1, 6000), consistencyWeight(it, { maxWeight: 0.1 }));
  assert.equal(rampedWeight(0, 2, 100), 2 * Math.exp(-5));
  assert.ok(rampedWeight(50, 2, 100) > rampedWeight(10, 2, 100));
  // R = 100: steps of s = 3 iterations, full weight from the first step boundary past R (102).
  assert.ok(rampedWeight(99, 2, 100) < 2);
  assert.equal(rampedWeight(102, 2, 100), 2);
  assert.equal(rampedWeight(0, 3, 0), 3, "no ramp-up: full weight at once");
  assert.ok(Math.abs(rampedWeight(7, 3, 10) - 3 * Math.exp(-5 * 0.3 * 0.3)) < 1e-12, "R < 40: one iteration per step");
});
