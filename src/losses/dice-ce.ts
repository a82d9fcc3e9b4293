// Dice + cross-entropy, the default supervised loss of nnU-Net and most semi-supervised baselines.
import { type Tensor, tidy } from "../tensor/index.js";
import { type CrossEntropyLossOptions, crossEntropyLoss } from "./cross-entropy.js";
import { type DiceLossOptions, diceLoss } from "./dice.js";

export interface DiceCELossOptions {
  /** Dice settings (softmax is implied by the cross-entropy). */
  dice?: Omit<DiceLossOptions, "activation" | "mask" | "ignoreIndex" | "reduction">;
  /** Cross-entropy settings. */
  crossEntropy?: Omit<CrossEntropyLossOptions, "mask" | "ignoreIndex" | "reduction">;
  /** @default 1 */
  diceWeight?: number;
  /** @default 1 */
  ceWeight?: number;
  /** Voxels that count, for both terms: (N, ...spatial) or (N, 1, ...spatial). */
  mask?: Tensor | null;
  /** Label excluded from both terms (integer label maps only). @default null */
  ignoreIndex?: number | null;
}

/** The combined loss and its two (unweighted) terms, e.g. for logging. */
export interface DiceCETerms {
  loss: Tensor;
  dice: Tensor;
  crossEntropy: Tensor;
}

/**
 * diceWeight · Dice + ceWeight · CE, both terms from the same softmax logits, mask and ignored label.
 * Empty and all-ignored inputs follow diceLoss and crossEntropyLoss: fully excluded samples drop
 * out, and a batch with no counted voxel gives exactly 0.
 * @param logits (N, C, ...spatial)
 * @param target int label map (N, ...spatial) or (N, 1, ...spatial), or class probabilities (N, C, ...spatial)
 * @returns the scalar loss and both terms
 * @example const { loss, dice, crossEntropy } = diceCELossTerms(logits, labels, { dice: { denominator: "linear", batchDice: true } });
 */
export function diceCELossTerms(logits: Tensor, target: Tensor, opts: DiceCELossOptions = {}): DiceCETerms {
  const dw = opts.diceWeight ?? 1;
  const cw = opts.ceWeight ?? 1;
  if (!Number.isFinite(dw) || !Number.isFinite(cw)) throw new RangeError(`diceCELoss: diceWeight and ceWeight must be finite. Received: ${dw}, ${cw}`);
  return tidy(() => {
    const shared = { mask: opts.mask ?? null, ignoreIndex: opts.ignoreIndex ?? null };
    const dice = diceLoss(logits, target, { ...opts.dice, ...shared, activation: "softmax", reduction: "mean" });
    const crossEntropy = crossEntropyLoss(logits, target, { ...opts.crossEntropy, ...shared, reduction: "mean" });
    return { loss: dice.mul(dw).add(crossEntropy.mul(cw)), dice, crossEntropy };
  });
}

/**
 * The scalar Dice + CE loss (see diceCELossTerms).
 * @example const loss = diceCELoss(logits, labels, { ignoreIndex: 255 });
 */
export function diceCELoss(logits: Tensor, target: Tensor, opts: DiceCELossOptions = {}): Tensor {
  return tidy(() => diceCELossTerms(logits, target, opts).loss);
}

/**
 * diceCELoss with fixed options; per-call options override them.
 * @example const loss = new DiceCELoss({ dice: { includeBackground: false } }).forward(logits, labels);
 */
export class DiceCELoss {
  constructor(readonly options: Readonly<DiceCELossOptions> = {}) {}

  /** @see diceCELoss */
  forward(logits: Tensor, target: Tensor, overrides: DiceCELossOptions = {}): Tensor {
    return diceCELoss(logits, target, { ...this.options, ...overrides });
  }

  /** @see diceCELossTerms */
  terms(logits: Tensor, target: Tensor, overrides: DiceCELossOptions = {}): DiceCETerms {
    return diceCELossTerms(logits, target, { ...this.options, ...overrides });
  }
}
