// The two-subnetwork contrastive term on the losing network's features: class prototypes from the
// reliable voxels, unreliable voxels pulled to the prototype of the class the winner gives them,
// and the prototypes pushed apart. With gradient: the published code computed this term under
// no_grad (it trained nothing) and minimised the prototypes' distance (pulling classes together).
import { type Tensor, logicalAnd, normalize, stack, tidy, where, zeros } from "../../tensor/index.js";
import { checkFloat, labelsFor, zeroLike } from "./_internal/checks.js";

export interface PrototypeContrastiveOptions {
  /** Number of classes K (background included); labels must lie in [0, K) or be ignoreIndex. */
  numClasses: number;
  /** Label of unreliable voxels in `reliableLabels`. @default 255 */
  ignoreIndex?: number;
  /** @default 1 */
  pullWeight?: number;
  /** @default 1 */
  pushWeight?: number;
  /** ε in the push term −log((1 − cos)/2 + ε): bounds its gradient when prototypes coincide. @default 1e-4 */
  epsilon?: number;
  /**
   * Use the prototypes as fixed anchors in the pull term (gradient reaches the unreliable voxels
   * only, not the reliable voxels behind the prototypes). @default true
   */
  detachPullTargets?: boolean;
}

/** The prototype loss, its terms and the prototypes. */
export interface PrototypeContrastiveTerms {
  /** pullWeight · pull + pushWeight · push. */
  loss: Tensor;
  /** Mean cosine distance 1 − cos(f_v, μ_k) of unreliable voxels v to their candidate class's prototype. */
  pull: Tensor;
  /** Mean over prototype pairs k < l of −log((1 − cos(μ_k, μ_l)) / 2 + ε). */
  push: Tensor;
  /** (K, D) prototypes, detached (for logging); rows of absent classes are 0. */
  prototypes: Tensor;
  /** Whether class k had a reliable voxel (and so a prototype). */
  present: boolean[];
}

/**
 * Prototype contrastive loss on one network's features (gradient flows into `features`).
 * μ_k = mean of f_v over reliable voxels labelled k (the raw features).
 * pull = mean over unreliable v whose candidate class k has a prototype of 1 − cos(f_v, μ_k)
 *        (μ_k detached unless detachPullTargets is false).
 * push = mean over pairs k < l of present prototypes of −log((1 − cos(μ_k, μ_l)) / 2 + ε): zero when
 *        the prototypes point in opposite directions, growing without bound (up to −log ε) as they
 *        align; its gradient always lowers cos(μ_k, μ_l), i.e. pushes the prototypes apart.
 * For two classes, μ_1 = f̄ (foreground) and μ_0 = b̄ (background) as in the paper; with more
 * classes every pair of prototypes is pushed apart. Terms with nothing to average are exactly 0.
 * - Paper: Karimijafarbigloo et al., arXiv:2311.12617 (reliable/unreliable contrastive term)
 * @param features (N, D, ...spatial) the loser's feature map, with gradient
 * @param reliableLabels int (N, ...spatial) or (N, 1, ...spatial): pseudo-labels, ignoreIndex on unreliable voxels (UnionPseudoLabels.labels)
 * @param candidateLabels int, same layout: the winner's argmax, used on the unreliable voxels
 * @example
 * const pseudo = unionPseudoLabels(a.logits, b.logits);
 * const { loss } = prototypeContrastiveLoss(loser.features, pseudo.labels, hardPseudoLabels(winner.logits), { numClasses: 2 });
 */
export function prototypeContrastiveLoss(features: Tensor, reliableLabels: Tensor, candidateLabels: Tensor, opts: PrototypeContrastiveOptions): PrototypeContrastiveTerms {
  const op = "prototypeContrastiveLoss";
  checkFloat(op, "features", features, "(N, D, ...spatial)", 3);
  const k = opts.numClasses;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`${op}: numClasses must be an integer >= 2. Received: ${k}`);
  const ignore = opts.ignoreIndex ?? 255;
  const eps = opts.epsilon ?? 1e-4;
  if (!(eps > 0)) throw new RangeError(`${op}: epsilon must be > 0. Received: ${eps}`);
  const pullWeight = opts.pullWeight ?? 1;
  const pushWeight = opts.pushWeight ?? 1;
  const dim = features.shape[1] as number;

  return tidy(() => {
    const n = features.shape[0] as number;
    // (N, S) labels and (N, D, S) features: a view of the contiguous map, no transposed copy.
    const reliable = labelsFor(op, "reliableLabels", features, reliableLabels).reshape([n, -1]);
    const candidates = labelsFor(op, "candidateLabels", features, candidateLabels).reshape([n, -1]);
    const f = features.reshape([n, dim, -1]);
    const unreliable = reliable.eq(ignore);

    const protos: Tensor[] = [];
    const counts: number[] = [];
    for (let c = 0; c < k; c++) {
      const m = reliable.eq(c).to(features.dtype);
      const count = m.sum().item();
      counts.push(count);
      // Σ_n F_n m_n: (N, D, S) @ (N, S, 1) -> (N, D, 1), summed over the batch.
      protos.push(count > 0 ? f.matmul(m.unsqueeze(2)).sum([0, 2]).div(count) : zeros([dim], { dtype: features.dtype, device: features.device }));
    }
    const unreliableCount = unreliable.sum().item();
    if (counts.reduce((a, b) => a + b, 0) + unreliableCount !== reliable.size) {
      throw new RangeError(`${op}: reliableLabels must hold classes in [0, ${k}) or ignoreIndex ${ignore}`);
    }
    const present = counts.map((n) => n > 0);
    const mu = stack(protos, 0); // (K, D)

    // Pull: unreliable voxels towards the prototype of the winner's class for them.
    const fHat = normalize(f, 2, 1);
    const anchors = normalize(opts.detachPullTargets === false ? mu : mu.detach(), 2, 1);
    let pullSum: Tensor = zeroLike(features);
    let pulled = 0;
    for (let c = 0; c < k; c++) {
      if (!present[c]) continue;
      const sel = logicalAnd(unreliable, candidates.eq(c));
      const count = sel.sum().item();
      if (count === 0) continue;
      pulled += count;
      const dist = anchors.slice(0, c, c + 1).matmul(fHat).squeeze(1).neg().add(1); // (1, D) @ (N, D, S) -> (N, S)
      pullSum = pullSum.add(where(sel, dist, 0).sum());
    }
    const pull = pulled > 0 ? pullSum.div(pulled) : pullSum;

    // Push: every pair of present prototypes apart.
    const muHat = normalize(mu, 2, 1);
    let pushSum: Tensor = zeroLike(features);
    let pairs = 0;
    for (let c = 0; c < k; c++) {
      for (let d = c + 1; d < k; d++) {
        if (!present[c] || !present[d]) continue;
        pairs++;
        const cos = muHat.slice(0, c, c + 1).mul(muHat.slice(0, d, d + 1)).sum();
        pushSum = pushSum.add(cos.neg().add(1).mul(0.5).add(eps).log().neg());
      }
    }
    const push = pairs > 0 ? pushSum.div(pairs) : pushSum;
    return { loss: pull.mul(pullWeight).add(push.mul(pushWeight)), pull, push, prototypes: mu.detach(), present };
  });
}
