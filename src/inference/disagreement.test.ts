import assert from "node:assert/strict";
import { test } from "node:test";
import { ShapeError, expectNoLeak, setNumThreads, tensor, type Tensor } from "../tensor/index.js";
import { committeeDisagreement } from "./disagreement.js";

setNumThreads(1);

/** (C, 1, 1, V) probabilities from one distribution per voxel. */
function probs(perVoxel: readonly (readonly number[])[]): Tensor {
  const c = perVoxel[0]!.length;
  const v = perVoxel.length;
  const data = new Float32Array(c * v);
  perVoxel.forEach((p, i) => p.forEach((x, k) => (data[k * v + i] = x)));
  return tensor(data, [c, 1, 1, v]);
}

// Plain-JS references, written independently of the tensor code.
const entropy = (p: readonly number[]) => -p.reduce((s, x) => s + (x > 0 ? x * Math.log(x) : 0), 0);
function jsOf(ps: readonly (readonly number[])[]): number {
  const m = ps[0]!.map((_, k) => ps.reduce((s, p) => s + p[k]!, 0) / ps.length);
  return entropy(m) - ps.reduce((s, p) => s + entropy(p), 0) / ps.length;
}
const symKl = (p: readonly number[], q: readonly number[]) => p.reduce((s, x, k) => s + (x - q[k]!) * (Math.log(x) - Math.log(q[k]!)), 0);

function withTensors<T>(ts: Tensor[], fn: () => T): T {
  try {
    return fn();
  } finally {
    ts.forEach((t) => t.dispose());
  }
}

test("committeeDisagreement() is 0 for identical members, whatever their uncertainty", () => {
  const p = probs([[0.3, 0.7], [0.55, 0.45], [0.1, 0.9], [0.5, 0.5]]);
  const q = probs([[0.3, 0.7], [0.55, 0.45], [0.1, 0.9], [0.5, 0.5]]);
  withTensors([p, q], () => {
    for (const region of ["foreground", "all"] as const) {
      const d = committeeDisagreement([p, q], { region });
      assert.ok(Math.abs(d.js) < 1e-7, `js ${d.js}`);
      assert.ok(Math.abs(d.kl) < 1e-7, `kl ${d.kl}`);
      assert.equal(d.dice, 0);
    }
  });
});

test("committeeDisagreement(): known values on four voxels (JS, symmetric KL, 1 − Dice over the foreground union)", () => {
  const P = [[0.2, 0.8], [0.3, 0.7], [0.9, 0.1], [0.7, 0.3]];
  const Q = [[0.6, 0.4], [0.3, 0.7], [0.9, 0.1], [0.4, 0.6]];
  const p = probs(P);
  const q = probs(Q);
  withTensors([p, q], () => {
    // Label maps: p = [1, 1, 0, 0], q = [0, 1, 0, 1] -> foreground union {0, 1, 3}; Dice(class 1) = 2·1 / (2 + 2).
    const d = committeeDisagreement([p, q]);
    const region = [0, 1, 3];
    const js = region.reduce((s, i) => s + jsOf([P[i]!, Q[i]!]), 0) / 3;
    const kl = region.reduce((s, i) => s + symKl(P[i]!, Q[i]!), 0) / 3;
    assert.equal(d.foregroundVoxels, 3);
    assert.equal(d.regionVoxels, 3);
    assert.equal(d.voxels, 4);
    assert.ok(Math.abs(d.js - js) < 1e-6, `js ${d.js} vs ${js}`);
    assert.ok(Math.abs(d.kl - kl) < 1e-5, `kl ${d.kl} vs ${kl}`);
    assert.ok(Math.abs(d.dice - 0.5) < 1e-12, `dice ${d.dice}`);
    // Over every voxel: the agreeing background voxel 2 dilutes the mean.
    const all = committeeDisagreement([p, q], { region: "all" });
    assert.equal(all.regionVoxels, 4);
    assert.ok(Math.abs(all.js - (js * 3) / 4) < 1e-6, `js over all ${all.js}`);
    assert.equal(all.dice, d.dice, "Dice does not depend on the region");
  });
});

test("committeeDisagreement(): confident opposite votes give JS = ln 2 (two members) and ln 3 (three members, three classes)", () => {
  const a = probs([[0, 1], [0, 1]]);
  const b = probs([[1, 0], [1, 0]]);
  const x = probs([[1, 0, 0]]);
  const y = probs([[0, 1, 0]]);
  const z = probs([[0, 0, 1]]);
  withTensors([a, b, x, y, z], () => {
    const two = committeeDisagreement([a, b]);
    assert.ok(Math.abs(two.js - Math.LN2) < 1e-6, `js ${two.js}`);
    assert.equal(two.dice, 1, "no overlap at all");
    const three = committeeDisagreement([x, y, z]);
    assert.ok(Math.abs(three.js - Math.log(3)) < 1e-6, `js ${three.js}`);
    // Pairs (x,y), (x,z): class 1 or 2 in one map only -> Dice 0; (y,z): classes 1 and 2 each in one map -> 0.
    assert.equal(three.dice, 1);
  });
});

test("committeeDisagreement(): nobody predicts foreground -> every score 0 over an empty region", () => {
  const p = probs([[0.9, 0.1], [0.6, 0.4]]);
  const q = probs([[0.7, 0.3], [0.95, 0.05]]);
  withTensors([p, q], () => {
    const d = committeeDisagreement([p, q]);
    assert.deepEqual([d.js, d.kl, d.dice, d.regionVoxels, d.foregroundVoxels], [0, 0, 0, 0, 0]);
    assert.ok(committeeDisagreement([p, q], { region: "all" }).js > 0, "the background probabilities do differ");
  });
});

test("committeeDisagreement(): clear errors, and no native tensor leaks", () => {
  const p = probs([[0.5, 0.5], [0.2, 0.8]]);
  const q = probs([[0.5, 0.5]]);
  withTensors([p, q], () => {
    assert.throws(() => committeeDisagreement([p]), /at least two members' probabilities. Received: 1/);
    assert.throws(() => committeeDisagreement([p, q]), (e: unknown) => e instanceof ShapeError && /every member shaped like the first \(2, 1, 1, 2\)/.test((e as Error).message));
    assert.throws(() => committeeDisagreement([p, p], { region: "inside" as never }), /region must be "foreground" or "all". Received: inside/);
    expectNoLeak(() => committeeDisagreement([p, p, p]), "committeeDisagreement");
  });
});
