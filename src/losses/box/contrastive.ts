// Training the contrastive head from boxes: voxels get a label from the boxes (coarse) or from the
// boxes and the current prediction (refine), a few voxels per label are drawn, and a supervised
// InfoNCE pulls same-label embeddings together and pushes different labels apart. The pairwise term
// then reads similarities from this head.
import { type Generator, type Tensor, ShapeError, eye, index, logSoftmax, logicalAnd, logicalNot, noGrad, rand, tensor, tidy, topk, where } from "../../tensor/index.js";
import { type BoxActivation, foregroundProbabilities, organChannels } from "./probabilities.js";
import { entryWeights, zeroLoss } from "./regions.js";

/** Label of voxels no term may use (inside two boxes in the coarse stage, or in an excluded sample). */
export const UNUSED_VOXEL = -1;

export interface BoxVoxelLabelOptions {
  /**
   * "coarse": inside exactly one box → that organ, outside every box → background, inside several → unused.
   * "refine": inside a box, the organ whose probability is highest among the covering boxes if it
   * reaches `threshold`, else background; outside every box → background.
   * @default "coarse"
   */
  stage?: "coarse" | "refine";
  /** Refine stage: the current foreground probabilities (N, K, D, H, W) (read without gradient). */
  probabilities?: Tensor | null;
  /** Refine stage: probability from which a voxel inside a box counts as the organ. @default 0.5 */
  threshold?: number;
}

/**
 * Per-voxel labels for the contrastive head from box masks.
 * - Paper: Du et al., IEEE TMI 2023, arXiv:2302.02125 (coarse-to-fine contrastive training from boxes)
 * @param boxMask (N, K, D, H, W), > 0 inside organ k's box
 * @returns int64 (N, D, H, W): 0 background, k + 1 organ k, −1 unused
 */
export function boxVoxelLabels(boxMask: Tensor, opts: BoxVoxelLabelOptions = {}): Tensor {
  const op = "boxVoxelLabels";
  if (boxMask.rank !== 5) throw new ShapeError(op, "a box mask (N, K, D, H, W)", boxMask.shape);
  const stage = opts.stage ?? "coarse";
  if (stage !== "coarse" && stage !== "refine") throw new RangeError(`${op}: stage must be "coarse" or "refine". Received: ${String(stage)}`);
  const p = opts.probabilities;
  if (stage === "refine" && (!p || p.shape.length !== 5 || p.shape.some((s, i) => s !== boxMask.shape[i]))) {
    throw new ShapeError(op, `probabilities of the box mask's shape [${boxMask.shape.join(",")}] for the refine stage`, p ? p.shape : []);
  }
  const threshold = opts.threshold ?? 0.5;
  return noGrad(() =>
    tidy(() => {
      const inside = boxMask.gt(0);
      const count = inside.to("int64").sum(1);
      if (stage === "coarse") {
        const organ = inside.to("int64").argmax(1).add(1);
        return where(count.eq(0), 0, where(count.eq(1), organ, UNUSED_VOXEL));
      }
      // Probabilities outside a box are set below 0 so a covering box always wins the argmax.
      const q = where(inside, (p as Tensor).detach(), -1);
      const best = q.max(1);
      const organ = q.argmax(1).add(1);
      return where(count.eq(0), 0, where(best.ge(threshold), organ, 0));
    }),
  );
}

export interface SampleVoxelsOptions {
  /** Voxels drawn per sample and label (fewer when the label has fewer voxels). @default 64 */
  perLabel?: number;
  /** Labels 0..labels − 1 are drawn (K + 1 for K organs). */
  labels: number;
  /** Seeded draws; without one, libtorch's default generator. */
  generator?: Generator;
}

/** Voxels drawn for the contrastive loss, as int64 index tensors of length M. */
export interface SampledVoxels {
  sample: Tensor;
  /** Flat spatial index d·H·W + h·W + w. */
  voxel: Tensor;
  label: Tensor;
}

/**
 * Draws up to `perLabel` voxels uniformly without replacement for every (sample, label), by taking
 * the top-k of uniform random keys among that label's voxels; unused voxels (−1) are never drawn.
 * @param labels int64 (N, D, H, W)
 */
export function sampleVoxels(labels: Tensor, opts: SampleVoxelsOptions): SampledVoxels {
  const op = "sampleVoxels";
  if (labels.rank !== 4) throw new ShapeError(op, "labels (N, D, H, W)", labels.shape);
  const per = opts.perLabel ?? 64;
  if (!Number.isInteger(per) || per < 1) throw new RangeError(`${op}: perLabel must be a positive integer. Received: ${per}`);
  const G = opts.labels;
  if (!Number.isInteger(G) || G < 1) throw new RangeError(`${op}: labels must be a positive integer. Received: ${G}`);
  const N = labels.shape[0] as number;
  const P = labels.size / Math.max(N, 1);
  const sample: number[] = [];
  const voxel: number[] = [];
  const label: number[] = [];
  noGrad(() =>
    tidy(() => {
      const flat = labels.flatten(1);
      const keys = rand([N, P], { dtype: "float64", generator: opts.generator });
      const k = Math.min(per, P);
      for (let n = 0; n < N; n++) {
        for (let g = 0; g < G; g++) {
          tidy(() => {
            const masked = where(flat.slice(0, n, n + 1).eq(g), keys.slice(0, n, n + 1), -1).squeeze(0);
            const [values, idx] = topk(masked, k);
            const v = values.dataSync() as Float64Array;
            const ix = idx.dataSync() as BigInt64Array;
            for (let j = 0; j < k && (v[j] as number) >= 0; j++) {
              sample.push(n);
              voxel.push(Number(ix[j]));
              label.push(g);
            }
          });
        }
      }
    }),
  );
  const M = label.length;
  return {
    sample: tensor(sample, [M], { dtype: "int64" }),
    voxel: tensor(voxel, [M], { dtype: "int64" }),
    label: tensor(label, [M], { dtype: "int64" }),
  };
}

export interface SupConOptions {
  /** τ in exp(z_i·z_j / τ). @default 0.1 */
  temperature?: number;
  /** L2-normalise the features first (idempotent for the contrastive head's unit embeddings). @default true */
  normalize?: boolean;
}

/**
 * Supervised InfoNCE: for each anchor a with positives P(a) (same label, not a),
 * L_a = −1/|P(a)| Σ_{p∈P(a)} log( exp(z_a·z_p/τ) / Σ_{b≠a} exp(z_a·z_b/τ) ),
 * averaged over anchors with at least one positive. Exactly 0 (zero gradient) when fewer than two
 * labels are present (nothing to contrast) or no anchor has a positive.
 * - Paper: Khosla et al., Supervised Contrastive Learning, NeurIPS 2020, arXiv:2004.11362
 * @param features (M, E)
 * @param labels int64 (M)
 * @returns a scalar
 */
export function supConLoss(features: Tensor, labels: Tensor, opts: SupConOptions = {}): Tensor {
  const op = "supConLoss";
  if (features.rank !== 2) throw new ShapeError(op, "features (M, E)", features.shape);
  const M = features.shape[0] as number;
  if (labels.rank !== 1 || labels.shape[0] !== M) throw new ShapeError(op, `labels (${M})`, labels.shape);
  const tau = opts.temperature ?? 0.1;
  if (!(tau > 0)) throw new RangeError(`${op}: temperature must be > 0. Received: ${tau}`);
  return tidy(() => {
    const distinct = new Set(labels.toArray()).size;
    if (M < 2 || distinct < 2) return zeroLoss(features);
    const z = opts.normalize ?? true ? features.normalize(2, 1) : features;
    const self = eye(M, { dtype: "bool" });
    // The anchor itself leaves the denominator: its logit is −∞ before the softmax.
    const logits = where(self, -Infinity, z.matmul(z.transpose(0, 1)).div(tau));
    const logProb = logSoftmax(logits, 1);
    const positive = logicalAnd(labels.unsqueeze(1).eq(labels.unsqueeze(0)), logicalNot(self));
    const count = positive.to(features.dtype).sum(1);
    // where, not a product: log p is −∞ on the diagonal and 0·(−∞) is NaN.
    const perAnchor = where(positive, logProb, 0).sum(1).neg().div(count.clamp(1));
    const has = count.gt(0);
    const anchors = has.to(features.dtype).sum();
    if (anchors.item() === 0) return zeroLoss(features);
    return where(has, perAnchor, 0).sum().div(anchors);
  });
}

export interface BoxContrastiveLossOptions extends BoxVoxelLabelOptions, SupConOptions {
  /** Refine stage: the mask head's output, turned into probabilities with `activation` (no gradient flows into it). */
  logits?: Tensor | null;
  /** See probabilities.ts. @default "softmax" */
  activation?: BoxActivation;
  /** Voxels drawn per sample and label. @default 64 */
  perLabel?: number;
  /** (N) sample weights: samples with weight 0 give no voxels (e.g. unannotated). Other values only select. */
  weights?: Tensor | null;
  generator?: Generator;
}

/**
 * The contrastive head's loss from boxes: labels from `boxVoxelLabels` (coarse or refine stage),
 * `perLabel` voxels per sample and label drawn with `generator`, supervised InfoNCE over all drawn
 * voxels of the batch pooled (the same organ in two patients is a positive pair).
 * - Paper: Du et al., IEEE TMI 2023, arXiv:2302.02125 (contrastive head trained from boxes, coarse to fine)
 * @param embedding (N, E, D, H, W), unit norm along E
 * @param boxMask (N, K, D, H, W)
 * @returns a scalar
 * @example const loss = boxContrastiveLoss(emb, mask, { stage: "refine", logits, generator });
 */
export function boxContrastiveLoss(embedding: Tensor, boxMask: Tensor, opts: BoxContrastiveLossOptions = {}): Tensor {
  const op = "boxContrastiveLoss";
  if (embedding.rank !== 5) throw new ShapeError(op, "an embedding (N, E, D, H, W)", embedding.shape);
  if (boxMask.rank !== 5 || boxMask.shape[0] !== embedding.shape[0] || boxMask.shape.slice(2).some((s, i) => s !== embedding.shape[i + 2])) {
    throw new ShapeError(op, `a box mask (N, K, ${embedding.shape.slice(2).join(", ")}) with N = ${embedding.shape[0]}`, boxMask.shape);
  }
  const [N, K] = boxMask.shape as [number, number];
  const stage = opts.stage ?? "coarse";
  const sampleWeights = entryWeights(op, opts.weights, N, 1);
  return tidy(() => {
    let probabilities = opts.probabilities ?? null;
    if (stage === "refine" && !probabilities && opts.logits) {
      const activation = opts.activation ?? "softmax";
      organChannels(op, opts.logits, activation, K);
      probabilities = noGrad(() => foregroundProbabilities(opts.logits as Tensor, activation));
    }
    let labels = boxVoxelLabels(boxMask, { stage, probabilities, threshold: opts.threshold });
    if (sampleWeights.some((w) => w[0] === 0)) {
      const keep = tensor(sampleWeights.map((w) => (w[0] === 0 ? 0 : 1)), [N, 1, 1, 1], { dtype: "bool" });
      labels = where(keep, labels, UNUSED_VOXEL);
    }
    const drawn = sampleVoxels(labels, { perLabel: opts.perLabel, labels: K + 1, generator: opts.generator });
    if ((drawn.label.shape[0] as number) < 2) return zeroLoss(embedding);
    const features = index(embedding.flatten(2), [drawn.sample, null, drawn.voxel]);
    return supConLoss(features, drawn.label, { temperature: opts.temperature, normalize: opts.normalize });
  });
}
