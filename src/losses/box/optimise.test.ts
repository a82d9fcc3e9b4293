// A tiny end-to-end check of the box terms: free per-voxel logits, started from the box itself,
// optimised with projection + pairwise losses on a synthetic image with two intensity regions, must
// recover the object better than the box does; the projection term alone cannot (the box already
// satisfies it), which is the point of the pairwise term.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Tensor, Generator, cat, grad, randn, setNumThreads, tensor, tidy } from "../../tensor/index.js";
import { type PairwiseAffinity, boxMasks, pairwiseLoss, projectionLoss } from "./index.js";

setNumThreads(1); // tiny tensors: intra-op threads only add hand-offs

const S = 16;
const P = S ** 3;

/** An ellipsoid object (intensity 1) on background 0, both with Gaussian noise σ = 0.03. */
function scene(): { image: Float64Array; truth: Float64Array; min: [number, number, number]; max: [number, number, number] } {
  const noise = tidy(() => randn([P], { dtype: "float64", generator: new Generator(5) }).dataSync() as Float64Array);
  const image = new Float64Array(P);
  const truth = new Float64Array(P);
  const min: [number, number, number] = [S, S, S];
  const max: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < P; i++) {
    const c = [Math.floor(i / (S * S)), Math.floor(i / S) % S, i % S] as const;
    const inside = ((c[0] - 7.5) / 5) ** 2 + ((c[1] - 7) / 4) ** 2 + ((c[2] - 8) / 6) ** 2 <= 1;
    truth[i] = inside ? 1 : 0;
    image[i] = truth[i]! + 0.03 * noise[i]!;
    if (inside) for (let a = 0; a < 3; a++) (min[a] = Math.min(min[a]!, c[a]!)), (max[a] = Math.max(max[a]!, c[a]! + 1));
  }
  return { image, truth, min, max };
}

function dice(pred: ArrayLike<number>, truth: Float64Array): number {
  let inter = 0, a = 0, b = 0;
  for (let i = 0; i < truth.length; i++) {
    const p = pred[i]! > 0 ? 1 : 0;
    inter += p * truth[i]!;
    a += p;
    b += truth[i]!;
  }
  return (2 * inter) / (a + b);
}

/**
 * Adam on host logits (softmax: background then organ channel; sigmoid: one channel), starting
 * from ±1 inside/outside the box. Returns the organ's final binary logit per voxel.
 */
function optimise(start: Float64Array, loss: (logits: Tensor) => Tensor, channels: 1 | 2, steps: number): Float64Array {
  const n = channels * P;
  const x = new Float64Array(n);
  if (channels === 1) x.set(start);
  else x.set(start, P); // organ channel; background logits stay 0
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const lr = 0.1, b1 = 0.9, b2 = 0.999;
  for (let t = 1; t <= steps; t++) {
    const g = tidy(() => {
      const logits = tensor(x, [1, channels, S, S, S], { dtype: "float64", requiresGrad: true });
      const [gr] = grad([loss(logits)], [logits]);
      return gr!.dataSync() as Float64Array;
    });
    for (let i = 0; i < n; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      x[i]! -= (lr * (m[i]! / (1 - b1 ** t))) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + 1e-8);
    }
  }
  return channels === 1 ? x : x.subarray(P).map((z, i) => z - x[i]!);
}

test("projection + pairwise on free logits recover the object better than its box (both affinities); projection alone does not", () => {
  const { image, truth, min, max } = scene();
  tidy(() => {
    const { mask } = boxMasks([[{ value: 1, min, max }]], [S, S, S], { channels: 1, dtype: "float64" });
    const boxVoxels = mask.dataSync() as Float64Array;
    const boxDice = dice(boxVoxels, truth);
    const start = boxVoxels.map((b) => (b > 0 ? 1 : -1));
    const img = tensor(image, [1, 1, S, S, S], { dtype: "float64" });
    // A stand-in for a trained contrastive head: unit embeddings that separate the two intensities.
    const embedding = cat([img, img.neg().add(1)], 1).normalize(2, 1);

    const runs: [string, 1 | 2, (l: Tensor) => Tensor][] = [
      ["projection only (sigmoid)", 1, (l) => projectionLoss(l, mask, { activation: "sigmoid" })],
      ...(
        [
          ["intensity", { kind: "intensity", image: img }, 1],
          ["embedding", { kind: "embedding", embedding }, 2],
        ] as [string, PairwiseAffinity, 1 | 2][]
      ).map(([name, affinity, channels]): [string, 1 | 2, (l: Tensor) => Tensor] => {
        const activation = channels === 1 ? "sigmoid" : "softmax";
        return [`projection + ${name} pairwise (${activation})`, channels, (l) => projectionLoss(l, mask, { activation }).add(pairwiseLoss(l, mask, { activation, affinity, boxDilation: 1 }))];
      }),
    ];
    const scores = runs.map(([name, channels, loss]) => [name, dice(optimise(start, loss, channels, 60), truth)] as const);
    const [onlyProjection, ...withPairwise] = scores;
    assert.ok(onlyProjection![1] <= boxDice + 0.02, `${onlyProjection![0]}: Dice ${onlyProjection![1]} vs box ${boxDice}`);
    for (const [name, d] of withPairwise) assert.ok(d > boxDice + 0.1 && d > 0.95, `${name}: Dice ${d} vs box ${boxDice}`);
  });
});
