// The pairwise term of box supervision: inside a box the projection term cannot tell organ from
// background, so neighbouring voxels that look alike are asked to take the same label.
import { type Tensor, ShapeError, callTensor, cat, neighbours, noGrad, tidy } from "../../tensor/index.js";
import { embeddingAffinity, intensityAffinity, neighbourValidity, prototypeAffinity } from "./affinity.js";
import { type BoxActivation, organChannels, organLogProbabilities } from "./probabilities.js";
import { cropSample, dilateMask, entryWeights, growRegion, maskRegions, zeroLoss } from "./regions.js";

/** Which similarity selects the pairs (w_ij = 1[S_ij ≥ τ]). */
export type PairwiseAffinity =
  /** Cosine similarity of the contrastive head's L2-normalised embeddings (N, E, D, H, W): the method. */
  | { kind: "embedding"; embedding: Tensor }
  /** Grey-level similarity exp(−θ‖I_i − I_j‖) of the image (N, Ci, D, H, W): BoxInst, for ablations. */
  | { kind: "intensity"; image: Tensor; scale?: number }
  /**
   * The same embeddings compared through class prototypes (prototypeAffinity): for organ k's box,
   * S_ij = q_i q_j + (1 − q_i)(1 − q_j) with q the softmax over (background, organ k) of the cosine to
   * their prototypes / T. `prototypes` (K + 1, E): row 0 background, row k + 1 organ k, unit rows; an
   * organ without a prototype must get weight 0.
   */
  | { kind: "prototype"; embedding: Tensor; prototypes: Tensor; temperature?: number };

/** τ for the grey-level affinity, from the authors' 3-D code. */
export const DEFAULT_INTENSITY_THRESHOLD = 0.94;
/** τ for the embedding affinity. Not given by the recipe; cosine 0.9 ≈ 26° between unit embeddings. */
export const DEFAULT_EMBEDDING_THRESHOLD = 0.9;
/** τ for the prototype affinity: both voxels assigned to the same class with probability ≥ 0.9. */
export const DEFAULT_PROTOTYPE_THRESHOLD = 0.9;

export interface PairwiseLossOptions {
  /** See probabilities.ts. @default "softmax" */
  activation?: BoxActivation;
  affinity: PairwiseAffinity;
  /** τ. @default 0.94 (intensity) or 0.9 (embedding) */
  threshold?: number;
  /** Grow each box by this many voxels before choosing the voxels i (pairs can then cross the box border from outside too). @default 0 */
  boxDilation?: number;
  /** Spacing between neighbourhood taps. @default 1 (the 26 direct neighbours) */
  neighbourDilation?: number;
  /** (N) or (N, K) weights multiplying w_ij per (sample, organ); 0 excludes. @default all 1 */
  weights?: Tensor | null;
  /**
   * "global": one Σ w(−log P) / max(Σ w, 1) over every box of the batch (the recipe's formula, as
   * BoxInst pools its instances); "box": that ratio per (sample, organ) box, averaged over boxes, so
   * a small organ weighs as much as the liver.
   * @default "global"
   */
  normalization?: "global" | "box";
}

/**
 * Pairwise loss L = Σ w_ij (−log P_ij(same)) / max(Σ w_ij, 1), over voxels i inside organ k's
 * (dilated) box and their 26 neighbours j inside the patch, for every organ k:
 * P(same) = p_i p_j + (1 − p_i)(1 − p_j), evaluated as logaddexp(log p_i + log p_j,
 * log(1 − p_i) + log(1 − p_j)) from the logits so it stays finite for saturated predictions;
 * w_ij = 1[S_ij ≥ τ] with S from `opts.affinity`.
 *
 * The affinity is a target, computed without gradient: the indicator has a zero derivative anyway,
 * and letting the contrastive head see this loss would reward it for pushing every similarity below
 * τ (no pair, no loss). The head learns from its own InfoNCE term (contrastive.ts).
 *
 * Work is done per box on a crop of the box grown by the neighbour reach, so memory scales with box
 * sizes, not with 26 × the patch × K. A batch without boxes gives exactly 0 (zero gradient).
 * - Paper: Du et al., IEEE TMI 2023, arXiv:2302.02125 (pairwise term with contrastive similarity)
 * - Paper: Tian et al., BoxInst, CVPR 2021, arXiv:2012.02310 (pairwise term, colour similarity)
 * @param logits (N, K+1, D, H, W) softmax logits, or (N, K, D, H, W) sigmoid logits / probabilities
 * @param boxMask (N, K, D, H, W), > 0 inside organ k's box
 * @returns a scalar
 * @example const loss = pairwiseLoss(logits, mask, { affinity: { kind: "embedding", embedding } });
 */
export function pairwiseLoss(logits: Tensor, boxMask: Tensor, opts: PairwiseLossOptions): Tensor {
  const op = "pairwiseLoss";
  const activation = opts.activation ?? "softmax";
  if (boxMask.rank !== 5) throw new ShapeError(op, "a box mask (N, K, D, H, W)", boxMask.shape);
  const [N, K] = boxMask.shape as [number, number];
  organChannels(op, logits, activation, K);
  const spatial = logits.shape.slice(2) as [number, number, number];
  if (logits.shape[0] !== N || spatial.some((s, i) => s !== boxMask.shape[i + 2])) {
    throw new ShapeError(op, `a box mask matching the logits' batch and spatial size [${logits.shape.join(",")}]`, boxMask.shape);
  }
  const aff = opts.affinity;
  const source = aff.kind === "embedding" || aff.kind === "prototype" ? aff.embedding : aff.kind === "intensity" ? aff.image : null;
  if (!source) throw new RangeError(`${op}: affinity.kind must be "embedding", "prototype" or "intensity". Received: ${String((aff as { kind: unknown }).kind)}`);
  if (source.rank !== 5 || source.shape[0] !== N || source.shape.slice(2).some((s, i) => s !== spatial[i])) {
    throw new ShapeError(op, `an affinity source (N, C, ${spatial.join(", ")}) with N = ${N}`, source.shape);
  }
  if (aff.kind === "prototype" && (aff.prototypes.rank !== 2 || aff.prototypes.shape[0] !== K + 1 || aff.prototypes.shape[1] !== source.shape[1])) {
    throw new ShapeError(op, `prototypes (${K + 1}, ${source.shape[1]}): background and one row per organ`, aff.prototypes.shape);
  }
  const tau =
    opts.threshold ?? (aff.kind === "embedding" ? DEFAULT_EMBEDDING_THRESHOLD : aff.kind === "prototype" ? DEFAULT_PROTOTYPE_THRESHOLD : DEFAULT_INTENSITY_THRESHOLD);
  if (!Number.isFinite(tau)) throw new RangeError(`${op}: threshold must be a finite number. Received: ${tau}`);
  const dilation = opts.neighbourDilation ?? 1;
  const normalization = opts.normalization ?? "global";
  if (normalization !== "global" && normalization !== "box") throw new RangeError(`${op}: normalization must be "global" or "box". Received: ${String(normalization)}`);
  const weights = entryWeights(op, opts.weights, N, K);

  return tidy(() => {
    const inBox = dilateMask(boxMask.gt(0).to(logits.dtype), opts.boxDilation ?? 0);
    const regions = maskRegions(inBox);
    const terms: { sum: Tensor; count: number }[] = [];
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const region = regions[n]?.[k];
        const weight = weights[n]?.[k] ?? 0;
        if (!region || weight === 0) continue;
        // Pairs of voxels i in the box reach `dilation` voxels beyond it: crop that much more.
        const crop = growRegion(region, dilation, spatial);
        const term = tidy(() => {
          const w = noGrad(() =>
            tidy(() => {
              const src = cropSample(source, n, crop);
              const S =
                aff.kind === "embedding"
                  ? embeddingAffinity(src, { dilation })
                  : aff.kind === "prototype"
                    ? prototypeAffinity(src, cat([aff.prototypes.slice(0, 0, 1), aff.prototypes.slice(0, k + 1, k + 2)], 0), { dilation, temperature: aff.temperature })
                    : intensityAffinity(src, { dilation, scale: aff.scale ?? 0.5 });
              const size = S.shape.slice(2) as [number, number, number];
              const valid = neighbourValidity(size, { dilation, dtype: logits.dtype });
              const i = cropSample(inBox, n, crop).slice(1, k, k + 1); // (1, 1, d, h, w) broadcasts over the 26 pairs
              return S.ge(tau).to(logits.dtype).mul(valid).mul(i).mul(weight).unsqueeze(1);
            }),
          );
          const count = w.sum().item();
          if (count === 0) return null;
          const [lp, lq] = organLogProbabilities(cropSample(logits, n, crop), k, activation);
          const same = callTensor("aten::logaddexp", [lp.unsqueeze(2).add(neighbours(lp, { dilation })), lq.unsqueeze(2).add(neighbours(lq, { dilation }))]);
          return { sum: same.neg().mul(w).sum(), count };
        });
        if (term) terms.push(term);
      }
    }
    if (terms.length === 0) return zeroLoss(logits);
    if (normalization === "global") {
      const total = terms.reduce((a, t) => a + t.count, 0);
      return terms.map((t) => t.sum).reduce((a, b) => a.add(b)).div(Math.max(total, 1));
    }
    return terms.map((t) => t.sum.div(Math.max(t.count, 1))).reduce((a, b) => a.add(b)).div(terms.length);
  });
}

/**
 * The pairwise term's weight at `iteration`: a linear ramp from 0 to `weight` over the first
 * `warmupIterations` iterations (early predictions are noise, and pulling neighbours together then
 * only spreads it).
 * - Paper: Tian et al., BoxInst, CVPR 2021, arXiv:2012.02310 (warm-up of the pairwise term)
 * @example const lambda = pairwiseWarmup(step, { warmupIterations: 800 });
 */
export function pairwiseWarmup(iteration: number, opts: { warmupIterations?: number; weight?: number } = {}): number {
  const W = opts.warmupIterations ?? 800;
  const weight = opts.weight ?? 1;
  if (!(W >= 0)) throw new RangeError(`pairwiseWarmup: warmupIterations must be >= 0. Received: ${W}`);
  if (W === 0) return weight;
  return weight * Math.min(1, Math.max(0, iteration / W));
}
