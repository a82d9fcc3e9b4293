// Pseudo-labels for unlabelled voxels: hard labels from one network, and the two-subnetwork
// union of both networks' labels filtered by entropy, with the cross-entropy on what survives.
import { type Tensor, argmax, callTensor, callTensors, gather, logicalOr, maxWithIndices, noGrad, softmax, tidy, where } from "../../tensor/index.js";
import { type CrossEntropyLossOptions, crossEntropyLoss } from "../cross-entropy.js";
import { checkClassLogits, checkProbability, checkSameShape } from "./_internal/checks.js";

/**
 * The argmax label of every voxel, computed without gradient: a hard target for another network.
 * @param logits (N, C, ...spatial)
 * @returns int64 (N, ...spatial)
 */
export function hardPseudoLabels(logits: Tensor): Tensor {
  checkClassLogits("hardPseudoLabels", "logits", logits);
  return noGrad(() => argmax(logits, 1));
}

/**
 * Per-voxel Shannon entropy −Σ_c p_c log p_c of the softmax (0·log 0 = 0), without gradient.
 * @param logits (N, C, ...spatial)
 * @returns (N, ...spatial) in the logits' dtype, in nats
 */
export function softmaxEntropy(logits: Tensor): Tensor {
  checkClassLogits("softmaxEntropy", "logits", logits);
  return noGrad(() => tidy(() => entropyOf(softmax(logits, 1))));
}

/** −Σ_c p log p over dim 1 of probabilities (special_entr is 0 at p = 0). */
function entropyOf(p: Tensor): Tensor {
  return callTensor("aten::special_entr", [p]).sum(1);
}

export interface UnionPseudoLabelOptions {
  /** Fraction of voxels with the lowest entropy that each network vouches for. @default 0.2 */
  reliableFraction?: number;
  /** Label written on unreliable voxels. @default 255 */
  ignoreIndex?: number;
  /** Entropy percentile over the whole batch, or separately per image. @default "batch" */
  per?: "batch" | "sample";
}

/** The union pseudo-labels and what they are made of. All without gradient. */
export interface UnionPseudoLabels {
  /** int64 (N, ...spatial): the union label on reliable voxels, ignoreIndex elsewhere. */
  labels: Tensor;
  /** int64 (N, ...spatial): the union label everywhere. */
  union: Tensor;
  /** bool (N, ...spatial): entropy in the lowest fraction of network A or of network B. */
  reliable: Tensor;
  /** (N, ...spatial) in the logits' dtype: mean of both networks' probability of the union label. */
  confidence: Tensor;
}

/** bool mask of the k lowest-entropy voxels (ties at the k-th value included), over the batch or per sample. */
function lowEntropy(h: Tensor, fraction: number, per: "batch" | "sample"): Tensor {
  const flat = per === "batch" ? h.reshape([1, -1]) : h.flatten(1);
  const n = flat.shape[1] as number;
  // k = ⌈fraction·n⌉, guarded against 0.2·50 = 10.000000000000002 rounding up to 11.
  const k = Math.min(n, Math.ceil(fraction * n - 1e-9));
  if (k <= 0) return h.lt(Number.NEGATIVE_INFINITY);
  const [kth] = callTensors("aten::kthvalue", [flat, k, 1, true]) as [Tensor, Tensor];
  return flat.le(kth).reshape([...h.shape]);
}

/**
 * Two-subnetwork pseudo-labels for unlabelled voxels. The label is the union of both networks'
 * argmax: where they agree, that class; where one says background and the other a foreground
 * class, the foreground class (for two classes: foreground if either network says so); where they
 * name two different foreground classes, the class of the more confident network (A on a tie).
 * A voxel is reliable when its entropy is among the lowest `reliableFraction` of network A's or of
 * network B's (the k-th lowest value, k = ⌈fraction·n⌉, and every voxel tied with it, count);
 * voxels reliable for neither get ignoreIndex.
 * - Paper: Karimijafarbigloo et al., arXiv:2311.12617; entropy filtering as in U2PL, arXiv:2203.03884
 * @param logitsA (N, C, ...spatial) network A on the unlabelled batch
 * @param logitsB same shape, network B
 * @example const pseudo = unionPseudoLabels(a.logits, b.logits); const l = reliableCrossEntropy(a.logits, pseudo);
 */
export function unionPseudoLabels(logitsA: Tensor, logitsB: Tensor, opts: UnionPseudoLabelOptions = {}): UnionPseudoLabels {
  const op = "unionPseudoLabels";
  checkClassLogits(op, "logitsA", logitsA);
  checkSameShape(op, "logitsB", logitsA, logitsB);
  const fraction = opts.reliableFraction ?? 0.2;
  checkProbability(op, "reliableFraction", fraction);
  const ignore = opts.ignoreIndex ?? 255;
  if (!Number.isInteger(ignore) || (ignore >= 0 && ignore < (logitsA.shape[1] as number))) {
    throw new RangeError(`${op}: ignoreIndex must be an integer outside the class range [0, ${logitsA.shape[1]}). Received: ${ignore}`);
  }
  const per = opts.per ?? "batch";
  if (per !== "batch" && per !== "sample") throw new RangeError(`${op}: per must be "batch" or "sample". Received: ${String(per)}`);
  return noGrad(() =>
    tidy(() => {
      const pA = softmax(logitsA, 1);
      const pB = softmax(logitsB, 1);
      const [confA, a] = maxWithIndices(pA, 1);
      const [confB, b] = maxWithIndices(pB, 1);
      // Disagreements: a background vote loses to a foreground one; two foreground votes go to the surer net.
      const surer = where(confA.ge(confB), a, b);
      const union = where(a.eq(b), a, where(a.eq(0), b, where(b.eq(0), a, surer)));
      const reliable = logicalOr(lowEntropy(entropyOf(pA), fraction, per), lowEntropy(entropyOf(pB), fraction, per));
      const labels = where(reliable, union, ignore);
      const idx = union.unsqueeze(1);
      const confidence = gather(pA, 1, idx).add(gather(pB, 1, idx)).squeeze(1).mul(0.5);
      return { labels, union, reliable, confidence };
    }),
  );
}

export interface ReliableCrossEntropyOptions extends Pick<CrossEntropyLossOptions, "classWeights" | "labelSmoothing"> {
  /** "uniform": every reliable voxel counts once; "confidence": weighted by the pseudo-label's confidence. @default "uniform" */
  weighting?: "uniform" | "confidence";
  /** The label marking unreliable voxels, as given to unionPseudoLabels. @default 255 */
  ignoreIndex?: number;
}

/**
 * Cross-entropy of one network's logits against the union pseudo-labels on reliable voxels only:
 * Σ_v w_v CE_v / Σ_v w_v over reliable v, w_v = 1 ("uniform") or the pseudo-label's confidence
 * ("confidence"), times class weights if given. No reliable voxel gives exactly 0 (never NaN).
 * - Paper: Karimijafarbigloo et al., arXiv:2311.12617
 * @param logits (N, C, ...spatial) either network (both are trained on the same pseudo-labels)
 */
export function reliableCrossEntropy(logits: Tensor, pseudo: Pick<UnionPseudoLabels, "labels" | "confidence">, opts: ReliableCrossEntropyOptions = {}): Tensor {
  const weighting = opts.weighting ?? "uniform";
  if (weighting !== "uniform" && weighting !== "confidence") throw new RangeError(`reliableCrossEntropy: weighting must be "uniform" or "confidence". Received: ${String(weighting)}`);
  return crossEntropyLoss(logits, pseudo.labels, {
    ignoreIndex: opts.ignoreIndex ?? 255,
    classWeights: opts.classWeights ?? null,
    labelSmoothing: opts.labelSmoothing ?? 0,
    mask: weighting === "confidence" ? pseudo.confidence : null,
  });
}
