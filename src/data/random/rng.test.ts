import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng, mixSeed } from "./index.js";

test("Rng: the same seed gives the same stream, different seeds differ", () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const xs = Array.from({ length: 8 }, () => a.nextUint32());
  assert.deepEqual(Array.from({ length: 8 }, () => b.nextUint32()), xs);
  assert.notDeepEqual(Array.from({ length: 8 }, () => c.nextUint32()), xs);
});

test("Rng: state() / fromState() continue exactly, including a pending normal deviate", () => {
  const a = new Rng(9);
  a.normal(); // leaves a spare
  const saved = JSON.parse(JSON.stringify(a.state()));
  const next = [a.normal(), a.random(), a.int(1000)];
  const b = Rng.fromState(saved);
  assert.deepEqual([b.normal(), b.random(), b.int(1000)], next);
});

test("Rng: uniform, int and normal have the right ranges and moments", () => {
  const r = new Rng(1);
  let s = 0, ss = 0;
  const counts = new Array(5).fill(0) as number[];
  for (let i = 0; i < 50000; i++) {
    const u = r.random();
    assert.ok(u >= 0 && u < 1);
    counts[r.int(5)]!++;
    const g = r.normal();
    s += g;
    ss += g * g;
  }
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, String(counts));
  assert.ok(Math.abs(s / 50000) < 0.02);
  assert.ok(Math.abs(ss / 50000 - 1) < 0.03);
  assert.throws(() => r.int(0), RangeError);
});

test("mixSeed: keys give independent, stable seeds", () => {
  assert.equal(mixSeed(1, "batch", 3), mixSeed(1, "batch", 3));
  const seen = new Set([mixSeed(1, "batch", 3), mixSeed(1, "batch", 4), mixSeed(2, "batch", 3), mixSeed(1, "sample", 3), mixSeed(1)]);
  assert.equal(seen.size, 5);
  assert.throws(() => mixSeed(Number.NaN), RangeError);
});
