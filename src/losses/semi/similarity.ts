// FBA-Net's rank-weighted similarity losses between per-image embeddings: foreground embeddings
// of different images attract, background embeddings attract, and each image's foreground repels
// every background. Computed with gradient into the embeddings (the published loss ran without
// it, so it trained nothing).
import { type Tensor, callTensor, eye, noGrad, normalize, tidy, where } from "../../tensor/index.js";
import { checkFloat, sameShape, zeroLike } from "./_internal/checks.js";

/** "positive": mean(−log(s)·ω) pulls pairs together; "negative": mean(−log(1 − s)·ω) pushes them apart. */
export type SimilarityKind = "positive" | "negative";

export interface RankWeightedSimilarityOptions {
  kind: SimilarityKind;
  /** Rank decay α of ω = exp(−α (r − 1)). @default 0.25 for "positive", 2.5 for "negative" */
  alpha?: number;
  /** Lower clamp of the cosine similarity (keeps log finite). @default 5e-4 */
  clampMin?: number;
  /** Upper clamp of the cosine similarity. @default 0.9995 */
  clampMax?: number;
  /**
   * Leave out the diagonal pairs (i, i). Default: true when `y` is omitted (an embedding compared
   * with itself has s = 1, carries no gradient through the clamp, and would only dilute the mean
   * and shift every other rank by one); false for two different sets, where (x_i, y_i) is a real
   * pair — for FBA-Net the same image's foreground and background, the most important negative.
   */
  excludeDiagonal?: boolean;
}

/** Cosine similarity of every row of x (B, E) with every row of y (B', E): (B, B'), via L2-normalised rows. */
export function cosineSimilarityMatrix(x: Tensor, y: Tensor): Tensor {
  return tidy(() => normalize(x, 2, 1).matmul(normalize(y, 2, 1).transpose(0, 1)));
}

/**
 * The rank weights ω_ij = exp(−α (r_ij − 1)) where r_ij is the rank of s_ij in row i, descending
 * (1 = most similar); ties keep column order. Entries where `excluded` is true rank last. Ranks
 * are piecewise constant in s, so the weights are constants of the graph (no gradient).
 * @param s (B, B') similarities
 * @param excluded optional (B, B') bool mask of entries left out of the ranking
 */
export function rankWeights(s: Tensor, alpha: number, excluded: Tensor | null = null): Tensor {
  return noGrad(() =>
    tidy(() => {
      // Every clamped similarity is > -1, so excluded entries sort after all real ones.
      const ranked = excluded ? where(excluded, -1, s.detach()) : s.detach();
      const order = callTensor("aten::argsort.stable", [ranked, true, 1, true]);
      const rank0 = callTensor("aten::argsort.stable", [order, true, 1, false]); // inverse permutation: 0-based rank
      return rank0.to(s.dtype).mul(-alpha).exp();
    }),
  );
}

/**
 * FBA-Net's rank-weighted similarity loss over all pairs (x_i, y_j) of a batch:
 * s_ij = clamp(cos(x_i, y_j), clampMin, clampMax), ω_ij = exp(−α (r_ij − 1)),
 * positive: mean_ij(−log(s_ij) ω_ij); negative: mean_ij(−log(1 − s_ij) ω_ij). The mean runs over
 * the pairs counted (B·(B−1) without the diagonal, B·B' with it). With no pair to count (one image
 * and the diagonal excluded) the loss is 0 with a zero gradient.
 * - Paper: Chung et al., FBA-Net, arXiv:2306.15189
 * @param x (B, E) embeddings, one per image (labelled and unlabelled together)
 * @param y (B', E) embeddings, or null to compare x with itself
 * @returns a scalar in x's dtype
 * @example const lf = rankWeightedSimilarityLoss(zf, null, { kind: "positive" }); // Max(f)
 */
export function rankWeightedSimilarityLoss(x: Tensor, y: Tensor | null, opts: RankWeightedSimilarityOptions): Tensor {
  const op = "rankWeightedSimilarityLoss";
  checkFloat(op, "x", x, "(B, E)", 2, true);
  if (y) {
    checkFloat(op, "y", y, "(B', E)", 2, true);
    if (y.shape[1] !== x.shape[1]) throw new RangeError(`${op}: x and y must have the same embedding size. Received: [${x.shape.join(",")}] and [${y.shape.join(",")}]`);
  }
  const kind = opts.kind;
  if (kind !== "positive" && kind !== "negative") throw new RangeError(`${op}: kind must be "positive" or "negative". Received: ${String(kind)}`);
  const alpha = opts.alpha ?? (kind === "positive" ? 0.25 : 2.5);
  const lo = opts.clampMin ?? 5e-4;
  const hi = opts.clampMax ?? 0.9995;
  if (!Number.isFinite(alpha)) throw new RangeError(`${op}: alpha must be finite. Received: ${alpha}`);
  if (!(lo > 0 && lo < hi && hi < 1)) throw new RangeError(`${op}: need 0 < clampMin < clampMax < 1. Received: ${lo}, ${hi}`);
  const other = y ?? x;
  const exclude = opts.excludeDiagonal ?? (y === null || y === x);
  const b = x.shape[0] as number;
  const b2 = other.shape[0] as number;
  if (exclude && b !== b2) throw new RangeError(`${op}: excludeDiagonal needs square similarities. Received: ${b} and ${b2} embeddings`);
  const pairs = exclude ? b * (b - 1) : b * b2;

  return tidy(() => {
    if (pairs === 0) return y ? zeroLike(x).add(zeroLike(y)) : zeroLike(x);
    const s = cosineSimilarityMatrix(x, other).clamp(lo, hi);
    const diagonal = exclude ? eye(b, { dtype: x.dtype, device: x.device }).gt(0) : null;
    const w = rankWeights(s, alpha, diagonal);
    const terms = kind === "positive" ? s.log().neg() : s.neg().add(1).log().neg();
    const weighted = diagonal ? where(diagonal, 0, terms.mul(w)) : terms.mul(w);
    return weighted.sum().div(pairs);
  });
}

export interface FBAContrastiveLossOptions {
  /** α of the positive (attracting) terms. @default 0.25 */
  positiveAlpha?: number;
  /** α of the negative (repelling) term. @default 2.5 */
  negativeAlpha?: number;
  /** @default 5e-4 */
  clampMin?: number;
  /** @default 0.9995 */
  clampMax?: number;
}

/** FBA-Net's contrastive loss and its three terms (for logging). */
export interface FBAContrastiveTerms {
  /** foreground + background + negative. */
  loss: Tensor;
  /** Max(f): foreground embeddings of different images attract. */
  foreground: Tensor;
  /** Max(b): background embeddings of different images attract. */
  background: Tensor;
  /** Min(f, b): every foreground repels every background, the same image's included. */
  negative: Tensor;
}

/**
 * L_contra = Max(f) + Max(b) + Min(f, b) over a batch's embeddings (see rankWeightedSimilarityLoss):
 * positive terms compare a set with itself without the diagonal; the negative term counts all
 * B × B (foreground_i, background_j) pairs, i = j included.
 * - Paper: Chung et al., FBA-Net, arXiv:2306.15189
 * @param embeddings foreground and background (B, E), e.g. from FBAContrastiveHead
 * @example const { loss } = fbaContrastiveLoss(head.forward(logits));
 */
export function fbaContrastiveLoss(embeddings: { foreground: Tensor; background: Tensor }, opts: FBAContrastiveLossOptions = {}): FBAContrastiveTerms {
  const { foreground: f, background: bg } = embeddings;
  if (!sameShape(f.shape, bg.shape)) throw new RangeError(`fbaContrastiveLoss: foreground and background embeddings must have the same shape. Received: [${f.shape.join(",")}] and [${bg.shape.join(",")}]`);
  const clamp = { clampMin: opts.clampMin, clampMax: opts.clampMax };
  return tidy(() => {
    const foreground = rankWeightedSimilarityLoss(f, null, { kind: "positive", alpha: opts.positiveAlpha ?? 0.25, ...clamp });
    const background = rankWeightedSimilarityLoss(bg, null, { kind: "positive", alpha: opts.positiveAlpha ?? 0.25, ...clamp });
    const negative = rankWeightedSimilarityLoss(f, bg, { kind: "negative", alpha: opts.negativeAlpha ?? 2.5, ...clamp });
    return { loss: foreground.add(background).add(negative), foreground, background, negative };
  });
}
