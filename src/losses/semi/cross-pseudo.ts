// Cross pseudo supervision: each of two networks learns from the other's hard labels.
import { type Tensor, tidy } from "../../tensor/index.js";
import { type CrossEntropyLossOptions, crossEntropyLoss } from "../cross-entropy.js";
import { checkClassLogits, checkSameShape } from "./_internal/checks.js";
import { hardPseudoLabels } from "./pseudo-labels.js";

export type CrossPseudoOptions = Pick<CrossEntropyLossOptions, "classWeights" | "mask">;

/** Both directions of cross pseudo supervision and their sum. */
export interface CrossPseudoTerms {
  /** a + b. */
  loss: Tensor;
  /** CE(logitsA, argmax(logitsB)): network A taught by B. */
  a: Tensor;
  /** CE(logitsB, argmax(logitsA)): network B taught by A. */
  b: Tensor;
}

/**
 * Cross pseudo supervision: CE(A, argmax B) + CE(B, argmax A), each pseudo-label computed without
 * gradient, so each network is trained only through its own prediction.
 * - Paper: Chen et al., CPS, arXiv:2106.01226
 * @param logitsA (N, C, ...spatial)
 * @param logitsB same shape
 * @example const { loss } = crossPseudoSupervisionLoss(a.logits, b.logits); total = total.add(loss.mul(w));
 */
export function crossPseudoSupervisionLoss(logitsA: Tensor, logitsB: Tensor, opts: CrossPseudoOptions = {}): CrossPseudoTerms {
  const op = "crossPseudoSupervisionLoss";
  checkClassLogits(op, "logitsA", logitsA);
  checkSameShape(op, "logitsB", logitsA, logitsB);
  return tidy(() => {
    const ce = { classWeights: opts.classWeights ?? null, mask: opts.mask ?? null };
    const a = crossEntropyLoss(logitsA, hardPseudoLabels(logitsB), ce);
    const b = crossEntropyLoss(logitsB, hardPseudoLabels(logitsA), ce);
    return { loss: a.add(b), a, b };
  });
}
