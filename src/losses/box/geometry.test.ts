// The shape prior's parts: zero crossings, templates, ICP, Chamfer, and the prior itself (which boxes
// it applies to, where its gradient goes, and that a step along it moves a wrong shape toward the template).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type Tensor, Generator, argmin, expectNoLeak, grad, randn, setNumThreads, tensor, tidy } from "../../tensor/index.js";
import {
  applySimilarity,
  boxMasks,
  chamferDistance,
  ellipsoidTemplate,
  geometricPriorLoss,
  geometricPriorTerms,
  icp,
  meanOccupancy,
  nearestNeighbours,
  orientTemplate,
  placeTemplate,
  templateMaskLoss,
  templateOccupancy,
  templateFromMask,
  zeroCrossings,
} from "./index.js";

setNumThreads(1); // tiny tensors: intra-op threads only add hand-offs

const gen = (seed: number) => new Generator(seed);

/** A (S, S, S) field f(z, y, x) as float64. */
function field(S: number, f: (z: number, y: number, x: number) => number): Float64Array {
  const out = new Float64Array(S ** 3);
  for (let i = 0; i < out.length; i++) out[i] = f(Math.floor(i / (S * S)), Math.floor(i / S) % S, i % S);
  return out;
}

/** An asymmetric organ: an ellipsoid with a bump, as a 0/1 mask of a 20³ volume. */
function blobMask(): Tensor {
  const S = 20;
  const m = field(S, (z, y, x) => (((z - 9) / 7) ** 2 + ((y - 9) / 5) ** 2 + ((x - 9) / 4) ** 2 <= 1 || (z - 13) ** 2 + (y - 12) ** 2 + (x - 11) ** 2 <= 9 ? 1 : 0));
  return tensor(Uint8Array.from(m), [S, S, S], { dtype: "uint8" });
}

/** The blob as a patch with this orientation shows it (patch axis a = case axis from[a], reversed or not), and its bounding box. */
function orientedBlob(orientation: { from: readonly number[]; reversed: readonly boolean[] }): { moved: Uint8Array; lo: number[]; hi: number[] } {
  const N = 20;
  const src = blobMask().dataSync() as Uint8Array;
  const moved = new Uint8Array(N ** 3);
  const lo = [N, N, N], hi = [-1, -1, -1];
  for (let i = 0; i < moved.length; i++) {
    const p = [Math.floor(i / (N * N)), Math.floor(i / N) % N, i % N];
    const c = [0, 0, 0];
    for (let a = 0; a < 3; a++) c[orientation.from[a]!] = orientation.reversed[a] ? N - 1 - p[a]! : p[a]!;
    moved[i] = src[c[0]! * N * N + c[1]! * N + c[2]!]!;
    if (moved[i]) p.forEach((v, a) => ((lo[a] = Math.min(lo[a]!, v)), (hi[a] = Math.max(hi[a]!, v))));
  }
  return { moved, lo, hi };
}

/** The rotation by `deg` degrees about `axis` (Rodrigues), row-major. */
function rotation(axis: [number, number, number], deg: number): number[] {
  const n = Math.hypot(...axis);
  const [x, y, z] = axis.map((v) => v / n) as [number, number, number];
  const c = Math.cos((deg * Math.PI) / 180), s = Math.sin((deg * Math.PI) / 180), C = 1 - c;
  return [c + x * x * C, x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C, y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C];
}

describe("zeroCrossings() and templates", () => {
  test("finds a plane's crossing at its sub-voxel position on every cut edge", () => {
    tidy(() => {
      const f = tensor(field(5, (_z, _y, x) => 2.3 - x), [5, 5, 5], { dtype: "float64" });
      const p = zeroCrossings(f);
      assert.deepEqual(p.shape, [25, 3]);
      const w = p.slice(1, 2, 3).toArray();
      assert.ok(w.every((v) => Math.abs(v - 2.3) < 1e-12), `${w}`);
    });
  });

  test("a ball's signed distance crosses zero near its radius", () => {
    tidy(() => {
      const f = tensor(field(13, (z, y, x) => 4.2 - Math.hypot(z - 6, y - 6.3, x - 5.8)), [13, 13, 13], { dtype: "float64" });
      const r = zeroCrossings(f).sub(tensor([6, 6.3, 5.8], [1, 3], { dtype: "float64" })).square().sum(1).sqrt();
      assert.ok(r.sub(4.2).abs().max().item() < 0.15, `radius error ${r.sub(4.2).abs().max().item()}`);
    });
  });

  test("templateFromMask spans exactly [−1, 1] per axis; ellipsoidTemplate lies on the unit sphere; placeTemplate maps ±1 to the box's outer edges", () => {
    tidy(() => {
      const t = templateFromMask(blobMask(), { maxPoints: 400, generator: gen(1) });
      assert.deepEqual(t.shape, [400, 3]);
      assert.ok(t.min().item() >= -1 && t.max().item() <= 1);
      const full = templateFromMask(blobMask(), { maxPoints: 100000 });
      assert.deepEqual(full.min(0).toArray(), [-1, -1, -1]);
      assert.deepEqual(full.max(0).toArray(), [1, 1, 1]);
      const e = ellipsoidTemplate(256);
      assert.ok(e.square().sum(1).sub(1).abs().max().item() < 1e-12);
      const placed = placeTemplate(tensor([-1, -1, -1, 1, 1, 1], [2, 3], { dtype: "float64" }), { min: [2, 3, 4], max: [6, 5, 10] });
      assert.deepEqual(placed.toArray(), [1.5, 2.5, 3.5, 5.5, 4.5, 9.5]);
      assert.throws(() => templateFromMask(tensor(new Uint8Array(8), [2, 2, 2], { dtype: "uint8" })), /empty/);
    });
  });
});

describe("icp() and chamferDistance()", () => {
  test("ICP recovers a known rotation, scale and translation of a point cloud", () => {
    tidy(() => {
      const src = templateFromMask(blobMask(), { maxPoints: 600, generator: gen(2) }).mul(tensor([7, 5, 4], [1, 3], { dtype: "float64" }));
      const R = rotation([1, 2, 2], 12);
      const target = applySimilarity(src, { rotation: R, scale: 1.15, translation: [1.5, -1, 0.7] });
      const r = icp(src, target, { iterations: 40 });
      assert.ok(Math.abs(r.scale - 1.15) < 1e-9, `scale ${r.scale}`);
      r.translation.forEach((v, i) => assert.ok(Math.abs(v - [1.5, -1, 0.7][i]!) < 1e-9, `translation ${r.translation}`));
      r.rotation.forEach((v, i) => assert.ok(Math.abs(v - R[i]!) < 1e-9, `rotation ${r.rotation}`));
      assert.ok(r.rmse < 1e-9 && r.iterations < 40, `rmse ${r.rmse} after ${r.iterations}`);
      assert.ok(r.aligned.sub(target).abs().max().item() < 1e-9);
    });
  });

  test("rigid ICP keeps the scale at 1, and the scale range bounds a similarity fit", () => {
    tidy(() => {
      const src = ellipsoidTemplate(300).mul(tensor([5, 3, 4], [1, 3], { dtype: "float64" }));
      const target = applySimilarity(src, { rotation: rotation([0, 0, 1], 5), scale: 3, translation: [0.5, 0, 0] });
      assert.equal(icp(src, target, { scale: false }).scale, 1);
      const bounded = icp(src, target, { scaleRange: [0.5, 2] });
      assert.ok(Math.abs(bounded.scale - 2) < 1e-12, `${bounded.scale}`);
      const noRotation = icp(src, applySimilarity(src, { rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1], scale: 1.1, translation: [1, 2, 3] }), { rotation: false });
      assert.ok(Math.abs(noRotation.scale - 1.1) < 1e-9 && noRotation.rmse < 1e-9);
    });
  });

  test("Chamfer distance is 0 for identical clouds, symmetric, and nearest neighbours are exact", () => {
    tidy(() => {
      const x = randn([50, 3], { dtype: "float64", generator: gen(3) });
      const y = randn([30, 3], { dtype: "float64", generator: gen(4) });
      assert.equal(chamferDistance(x, x).item(), 0);
      assert.ok(Math.abs(chamferDistance(x, y).item() - chamferDistance(y, x).item()) < 1e-14);
      const brute = argmin(x.unsqueeze(1).sub(y.unsqueeze(0)).square().sum(2), 1);
      assert.deepEqual(nearestNeighbours(x, y).toArray(), brute.toArray());
    });
  });
});

describe("geometricPriorLoss()", () => {
  const S = 16;
  /** A cuboid-shaped prediction (sigmoid logit), the wrong shape for an ellipsoid template. */
  const cuboid = () => field(S, (z, y, x) => 4 * (1 - Math.max(Math.abs(z - 7.5) / 5.2, Math.abs(y - 7.5) / 4.2, Math.abs(x - 7.5) / 6.2)));
  const boxes = () => boxMasks([[{ value: 1, min: [3, 3, 2], max: [13, 13, 14] }]], [S, S, S], { channels: 1 }).boxes;

  test("applies only to boxes whose organ is completely inside the patch", () => {
    tidy(() => {
      const logits = tensor(cuboid(), [1, 1, S, S, S], { dtype: "float64", requiresGrad: true });
      const cut = boxMasks([[{ value: 1, min: [3, 3, 2], max: [13, 13, 14], touchesBorder: true }]], [S, S, S], { channels: 1 }).boxes;
      const none = geometricPriorTerms(logits, cut, { activation: "sigmoid" });
      assert.equal(none.terms.length, 0);
      assert.equal(none.loss.item(), 0);
      const [g] = grad([none.loss], [logits]);
      assert.equal(g!.abs().max().item(), 0);
      const one = geometricPriorTerms(logits, boxes(), { activation: "sigmoid" });
      assert.equal(one.terms.length, 1);
      assert.ok(one.loss.item() > 0 && one.terms[0]!.points > 100);
    });
  });

  test("its gradient reaches the logits only next to the predicted surface", () => {
    tidy(() => {
      const data = cuboid();
      const logits = tensor(data, [1, 1, S, S, S], { dtype: "float64", requiresGrad: true });
      const [g] = grad([geometricPriorLoss(logits, boxes(), { activation: "sigmoid" })], [logits]);
      const gd = g!.dataSync() as Float64Array;
      let nearSurface = 0;
      gd.forEach((v, i) => {
        if (v === 0) return;
        nearSurface++;
        assert.ok(Math.abs(data[i]!) < 4 * (1 / 4.2) + 1e-9, `gradient at voxel ${i} with logit ${data[i]}, far from the surface`);
      });
      assert.ok(nearSurface > 100);
    });
  });

  test("one gradient step moves a wrong (cuboid) shape toward the template: L_geo decreases, with and without ICP", () => {
    for (const icpOpts of [false, {}] as const) {
      tidy(() => {
        const x0 = cuboid();
        const logits = tensor(x0, [1, 1, S, S, S], { dtype: "float64", requiresGrad: true });
        const opts = { activation: "sigmoid" as const, icp: icpOpts, generator: gen(5) };
        const l0 = geometricPriorLoss(logits, boxes(), opts);
        const [g] = grad([l0], [logits]);
        const step = g!.div(g!.abs().max()).mul(0.3);
        const l1 = geometricPriorLoss(logits.detach().sub(step), boxes(), { ...opts, generator: gen(5) });
        assert.ok(l1.item() < l0.item() * 0.95, `${icpOpts ? "with" : "without"} ICP: ${l1.item()} vs ${l0.item()}`);
      });
    }
  });

  test("a prediction shaped like the template scores far lower than a wrong one; an empty prediction is skipped", () => {
    tidy(() => {
      const mask = blobMask();
      const template = templateFromMask(mask, { maxPoints: 800, generator: gen(6) });
      // The blob's bounding box: the ellipsoid spans z 2..16, y 4..14, x 5..13; the bump adds y 15 and x 14.
      const box = boxMasks([[{ value: 1, min: [2, 4, 5], max: [17, 16, 15] }]], [20, 20, 20], { channels: 1 }).boxes;
      const right = mask.to("float64").mul(8).sub(4).unsqueeze(0).unsqueeze(0);
      const opts = { activation: "sigmoid" as const, templates: [template], generator: gen(7) };
      const good = geometricPriorLoss(right, box, opts).item();
      const bad = geometricPriorLoss(right, box, { ...opts, templates: [ellipsoidTemplate(800).mul(tensor([1, 0.3, 1], [1, 3], { dtype: "float64" }))] }).item();
      assert.ok(good < 0.02 && bad > 5 * good, `template ${good}, wrong template ${bad}`);
      const empty = geometricPriorTerms(right.mul(0).sub(3), box, opts);
      assert.equal(empty.terms.length, 0);
    });
  });

  test("a mirrored and turned patch's organ matches the template once its box carries the patch's orientation", () => {
    tidy(() => {
      const N = 20;
      // The patch shows case axis (from[a]) on its axis a, reversed where asked: z mirrored, y and x swapped, the new x reversed.
      const orientation = { from: [0, 2, 1] as [number, number, number], reversed: [true, false, true] as [boolean, boolean, boolean] };
      const { moved, lo, hi } = orientedBlob(orientation);
      const template = templateFromMask(blobMask(), { maxPoints: 800, generator: gen(6) });
      const logits = tensor(moved, [1, 1, N, N, N], { dtype: "uint8" }).to("float64").mul(8).sub(4);
      const place = (o?: typeof orientation) => boxMasks([[{ value: 1, min: lo as [number, number, number], max: hi.map((v) => v + 1) as [number, number, number], ...(o ? { orientation: o } : {}) }]], [N, N, N], { channels: 1 }).boxes;
      const opts = { activation: "sigmoid" as const, templates: [template], generator: gen(7), icp: false as const };
      const oriented = geometricPriorLoss(logits, place(orientation), opts).item();
      const unoriented = geometricPriorLoss(logits, place(), opts).item();
      assert.ok(oriented < 0.02 && unoriented > 3 * oriented, `oriented ${oriented}, case axes ${unoriented}`);
      // orientTemplate is that mapping on the points: mirrored coordinates change sign, swapped axes trade columns.
      const t = orientTemplate(tensor([0.5, -0.25, 0.75], [1, 3], { dtype: "float64" }), orientation);
      assert.deepEqual(t.toArray(), [-0.5, 0.75, 0.25]);
      assert.throws(() => place({ from: [0, 0, 1], reversed: [false, false, false] }), /one to one/);
    });
  });

  test("templateMaskLoss: a prediction equal to the template stretched into the box scores near 0, in any orientation; cut boxes are skipped", () => {
    tidy(() => {
      const N = 20;
      // The blob stretched ×1 into its own box is itself; mirrored along h and turned (d <-> w), it must be oriented to match.
      const orientation = { from: [2, 1, 0] as [number, number, number], reversed: [false, true, false] as [boolean, boolean, boolean] };
      const { moved, lo, hi } = orientedBlob(orientation);
      const occupancy = templateOccupancy(blobMask());
      assert.deepEqual(occupancy.shape, [15, 12, 10], "cropped to the blob's bounding box");
      const logits = tensor(Float64Array.from(moved, (v) => 40 * v - 20), [1, 1, N, N, N], { dtype: "float64" });
      const place = (o?: typeof orientation, touchesBorder = false) =>
        boxMasks([[{ value: 1, min: lo as [number, number, number], max: hi.map((v) => v + 1) as [number, number, number], touchesBorder, ...(o ? { orientation: o } : {}) }]], [N, N, N], { channels: 1 }).boxes;
      const opts = { activation: "sigmoid" as const, masks: [occupancy] };
      const oriented = templateMaskLoss(logits, place(orientation), opts);
      const unoriented = templateMaskLoss(logits, place(), opts).item();
      assert.ok(oriented.item() < 0.01 && unoriented > 0.1, `oriented ${oriented.item()}, case axes ${unoriented}`);
      const ellipsoid = templateMaskLoss(logits, place(orientation), { activation: "sigmoid" }).item();
      assert.ok(ellipsoid > 0.1, `the ellipsoid is not the blob: ${ellipsoid}`);
      const cut = templateMaskLoss(logits, place(orientation, true), opts);
      assert.equal(cut.item(), 0);
      // The gradient stays inside the box.
      const soft = tensor(Float64Array.from(moved, (v) => 4 * v - 2), [1, 1, N, N, N], { dtype: "float64", requiresGrad: true });
      const [g] = grad([templateMaskLoss(soft, place(), opts)], [soft]);
      const gd = g!.dataSync() as Float64Array;
      let inside = 0;
      gd.forEach((v, i) => {
        if (v === 0) return;
        const p = [Math.floor(i / (N * N)), Math.floor(i / N) % N, i % N];
        assert.ok(p.every((c, a) => c >= lo[a]! && c <= hi[a]!), `gradient outside the box at ${p}`);
        inside++;
      });
      assert.ok(inside > 100);
      const boxes = place(orientation);
      expectNoLeak(() => templateMaskLoss(soft, boxes, opts), "templateMaskLoss");
    });
  });

  test("meanOccupancy: the majority vote of the cases' shapes at their mean size; never empty; bad input is named", () => {
    tidy(() => {
      const ones = (d: number, h: number, w: number) => tensor(new Float32Array(d * h * w).fill(1), [d, h, w], { dtype: "float32" });
      // A half-filled 4³ box (the d < 2 half) as the odd one out.
      const half = tensor(Float32Array.from(field(4, (z) => (z < 2 ? 1 : 0))), [4, 4, 4], { dtype: "float32" });
      const empty = tensor(new Float32Array(64), [4, 4, 4], { dtype: "float32" });
      assert.equal(meanOccupancy([ones(4, 4, 4), ones(4, 4, 4), half]).sum().item(), 64, "two full boxes outvote a half one");
      assert.equal(meanOccupancy([ones(4, 4, 4), half, half]).sum().item(), 32, "two halves outvote a full box");
      assert.equal(meanOccupancy([half, empty, empty]).sum().item(), 32, "no majority anywhere: the voxels most cases share");
      // Sizes are averaged (rounded): 4 and 6 → 5 per axis; the single blob is kept as it is.
      assert.deepEqual(meanOccupancy([ones(4, 4, 6), ones(6, 6, 6)]).shape, [5, 5, 6]);
      const blob = templateOccupancy(blobMask());
      assert.deepEqual(Array.from(meanOccupancy([blob]).dataSync() as Float32Array), Array.from(blob.dataSync() as Float32Array));
      assert.throws(() => meanOccupancy([]), /no occupancy given/);
      assert.throws(() => meanOccupancy([ones(4, 4, 4), tensor(new Float32Array(16), [4, 4], { dtype: "float32" })]), /occupancy 1 must be \(d, h, w\)\. Received: \[4,4\]/);
      const full = ones(4, 4, 4);
      expectNoLeak(() => meanOccupancy([full, half, blob]), "meanOccupancy");
    });
  });

  test("no leaks outside any scope", () => {
    const logits = tensor(cuboid(), [1, 2, S / 2, S, S], { dtype: "float64", requiresGrad: true });
    const b = boxMasks([[{ value: 1, min: [1, 3, 2], max: [7, 13, 14] }]], [S / 2, S, S], { channels: 1 }).boxes;
    expectNoLeak(() => geometricPriorLoss(logits, b, { generator: gen(8) }), "geometricPriorLoss");
    expectNoLeak(() => {
      const l = geometricPriorLoss(logits, b, { generator: gen(9), spacing: [2, 1, 1] });
      const [g] = grad([l], [logits]);
      l.dispose();
      return g;
    }, "geometricPriorLoss backward");
    const mask = blobMask();
    expectNoLeak(() => templateFromMask(mask), "templateFromMask");
    const a = randn([40, 3], { dtype: "float64", generator: gen(10) });
    const b2 = a.mul(1.2).add(0.5);
    expectNoLeak(() => icp(a, b2).aligned, "icp");
    expectNoLeak(() => chamferDistance(a, b2), "chamferDistance");
    const f = tensor(cuboid(), [S, S, S], { dtype: "float64" });
    expectNoLeak(() => zeroCrossings(f), "zeroCrossings");
    for (const t of [logits, mask, a, b2, f]) t.dispose();
  });
});
