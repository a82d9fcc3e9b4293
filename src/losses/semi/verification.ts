// The two-subnetwork verification term: on labelled data, where exactly one of the two networks
// is confident that a voxel is foreground, both are pulled towards the label there. Plus the
// per-iteration winner/loser choice that decides whose features the contrastive term trains.
import { type Tensor, logicalAnd, logicalXor, softmax, tidy, where } from "../../tensor/index.js";
import { checkClassLogits, checkProbability, checkSameShape, labelsFor, oneHotChannels } from "./_internal/checks.js";

export interface VerificationLossOptions {
  /** Probability at which a network counts as confident. @default 0.6 */
  threshold?: number;
  /** Label of voxels that never count (no label). @default null */
  ignoreIndex?: number | null;
}

/** The verification losses of both networks and the voxels they were measured on. */
export interface VerificationTerms {
  /** a + b (the paper weights it by 0.5). */
  loss: Tensor;
  /** Σ M (p_A − y)² / Σ M for network A. */
  a: Tensor;
  /** Σ M (p_B − y)² / Σ M for network B. */
  b: Tensor;
  /** M: (N, C − 1, ...spatial) bool, per foreground class, where exactly one network is confident. */
  disagreement: Tensor;
}

/**
 * Verification loss on labelled data. For each foreground class c (1 … C−1),
 * M_c = (p_A,c ≥ τ) XOR (p_B,c ≥ τ) and, for each network, L = Σ_c Σ_v M_cv (p_cv − y_cv)² / Σ_c Σ_v M_cv
 * with y the one-hot label. With two classes this is the paper's binary term on the foreground
 * probability. When the networks never disagree confidently (Σ M = 0) both losses are exactly 0
 * with a zero gradient. Gradient flows into both networks' probabilities; M is a constant.
 * - Paper: Karimijafarbigloo et al., ISBI 2024, arXiv:2311.12617
 * @param logitsA (N, C, ...spatial) softmax logits of network A, C >= 2
 * @param logitsB same shape, network B
 * @param target int label map (N, ...spatial) or (N, 1, ...spatial)
 * @example const { loss } = verificationLoss(outA.logits, outB.logits, labels); total = total.add(loss.mul(0.5));
 */
export function verificationLoss(logitsA: Tensor, logitsB: Tensor, target: Tensor, opts: VerificationLossOptions = {}): VerificationTerms {
  const op = "verificationLoss";
  checkClassLogits(op, "logitsA", logitsA);
  checkSameShape(op, "logitsB", logitsA, logitsB);
  const threshold = opts.threshold ?? 0.6;
  checkProbability(op, "threshold", threshold);
  const classes = logitsA.shape[1] as number;
  return tidy(() => {
    let labels = labelsFor(op, "target", logitsA, target);
    const ignore = opts.ignoreIndex;
    const keep = ignore === null || ignore === undefined ? null : labels.ne(ignore);
    if (keep) labels = where(keep, labels, 0);
    const hot = oneHotChannels(labels, classes, logitsA.dtype).slice(1, 1);
    const pA = softmax(logitsA, 1).slice(1, 1);
    const pB = softmax(logitsB, 1).slice(1, 1);
    let disagreement = logicalXor(pA.detach().ge(threshold), pB.detach().ge(threshold));
    if (keep) disagreement = logicalAnd(disagreement, keep.unsqueeze(1));
    const m = disagreement.to(logitsA.dtype);
    const count = m.sum();
    const safe = where(count.gt(0), count, 1); // Σ M = 0 means every term below is 0 too
    const a = pA.sub(hot).square().mul(m).sum().div(safe);
    const b = pB.sub(hot).square().mul(m).sum().div(safe);
    return { loss: a.add(b), a, b, disagreement };
  });
}

/** Which network won this iteration (0 = A, 1 = B) and which lost. */
export interface WinnerLoser {
  winner: 0 | 1;
  loser: 0 | 1;
}

/**
 * The winner is the network with the lower supervised loss this iteration (A on a tie); the
 * loser's features get the contrastive term and the winner's argmax splits the unreliable voxels.
 * - Paper: Karimijafarbigloo et al., arXiv:2311.12617
 * @param lossA network A's labelled loss (e.g. its Dice loss), a number or a one-element tensor
 * @throws RangeError when a loss is not finite
 * @example const { winner, loser } = selectWinner(diceA, diceB); const nets = [netA, netB]; nets[loser]...
 */
export function selectWinner(lossA: number | Tensor, lossB: number | Tensor): WinnerLoser {
  const a = typeof lossA === "number" ? lossA : lossA.item();
  const b = typeof lossB === "number" ? lossB : lossB.item();
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new RangeError(`selectWinner: both losses must be finite. Received: ${a}, ${b}`);
  return a <= b ? { winner: 0, loser: 1 } : { winner: 1, loser: 0 };
}
