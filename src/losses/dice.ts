// Soft Dice loss for multi-class segmentation, with the variants the literature uses: squared
// (V-Net) or linear (nnU-Net) denominators, smoothing, background in or out, per-sample or batch
// Dice, and voxel masks / ignored labels.
import { type Tensor, sigmoid, softmax, sum, tidy, where } from "../tensor/index.js";
import { checkLogits, prepareTarget } from "./_internal/targets.js";

/** How logits become per-class scores before the overlap is measured. */
export type DiceActivation = "softmax" | "sigmoid" | "none";

export interface DiceLossOptions {
  /** "softmax" over classes, "sigmoid" per channel (multi-label), or "none" (inputs are already probabilities). @default "softmax" */
  activation?: DiceActivation;
  /** "squared": Σp² + Σt² (V-Net, SSL4MIS); "linear": Σp + Σt (nnU-Net). @default "squared" */
  denominator?: "squared" | "linear";
  /** Added to 2·Σpt. @default 1e-5 */
  smoothNumerator?: number;
  /** Added to the denominator. @default 1e-5 */
  smoothDenominator?: number;
  /** Score channel 0 too; false drops it (it must then be the background). @default true */
  includeBackground?: boolean;
  /** One Dice per class over the whole batch (nnU-Net's batch Dice) instead of one per sample and class. @default false */
  batchDice?: boolean;
  /** Voxels that count: (N, ...spatial) or (N, 1, ...spatial); zero excludes a voxel, other values weight it. */
  mask?: Tensor | null;
  /** Label excluded from the loss (integer label maps only), e.g. 255 for unlabelled voxels. @default null */
  ignoreIndex?: number | null;
  /** "mean" over (sample, class) pairs, or "none": the (N, C') losses ((C') with batchDice). @default "mean" */
  reduction?: "mean" | "none";
}

/** The Dice denominator is clamped here so that zero smoothing never divides by zero. */
const MIN_DENOMINATOR = 1e-8;

/**
 * Soft Dice loss 1 − (2Σ w·p·t + s_n) / (Σ w·p^k + Σ w·t^k + s_d), k = 2 (squared) or 1
 * (linear), per sample and class (or per class over the batch), averaged.
 *
 * Empty and ignored voxels:
 * - A class absent from a sample's target is scored like any other: with the default smoothing a
 *   near-empty prediction gives Dice ≈ 1 (loss ≈ 0) and any predicted mass is penalised. With both
 *   smooth terms 0 and an all-zero prediction the denominator is clamped to 1e-8 and Dice is 0.
 * - A sample whose voxels are all excluded (mask 0 or ignoreIndex everywhere) is left out of the
 *   mean (with batchDice: the batch, when every voxel is excluded). If nothing is left, the loss is
 *   exactly 0 with a zero gradient, never NaN.
 * - In "none" reduction, entries of fully excluded samples are 0.
 * - Paper: V-Net, arXiv:1606.04797 (squared); nnU-Net, doi:10.1038/s41592-020-01008-z (linear, batch Dice)
 * @param logits (N, C, ...spatial)
 * @param target int label map (N, ...spatial) or (N, 1, ...spatial), or per-class values (N, C, ...spatial)
 * @returns a scalar ("mean") or (N, C') / (C') losses ("none"), C' = C or C - 1 without background
 * @example const loss = diceLoss(logits, labels, { denominator: "linear", includeBackground: false });
 */
export function diceLoss(logits: Tensor, target: Tensor, opts: DiceLossOptions = {}): Tensor {
  const op = "diceLoss";
  checkLogits(op, logits);
  const sn = opts.smoothNumerator ?? 1e-5;
  const sd = opts.smoothDenominator ?? 1e-5;
  if (!(sn >= 0) || !(sd >= 0)) throw new RangeError(`${op}: smoothNumerator and smoothDenominator must be >= 0. Received: ${sn}, ${sd}`);
  const classes = logits.shape[1] as number;
  const includeBackground = opts.includeBackground ?? true;
  if (!includeBackground && classes < 2) throw new RangeError(`${op}: includeBackground=false needs at least 2 channels. Received: ${classes}`);
  const denominatorKind = opts.denominator ?? "squared";
  if (denominatorKind !== "squared" && denominatorKind !== "linear") throw new RangeError(`${op}: denominator must be "squared" or "linear". Received: ${String(denominatorKind)}`);
  const squared = denominatorKind === "squared";

  return tidy(() => {
    let p = activate(op, logits, opts.activation ?? "softmax");
    const prepared = prepareTarget(op, logits, target, opts.mask, opts.ignoreIndex);
    let t = prepared.values;
    const w = prepared.weights;
    if (!includeBackground) {
      p = p.slice(1, 1);
      t = t.slice(1, 1);
    }
    const spatial = Array.from({ length: logits.rank - 2 }, (_, i) => i + 2);
    const dims = opts.batchDice ? [0, ...spatial] : spatial;
    const pw = w ? p.mul(w) : p;
    const tw = w ? t.mul(w) : t;
    const intersection = sum(pw.mul(t), dims);
    const denominator = squared ? sum(pw.mul(p), dims).add(sum(tw.mul(t), dims)) : sum(pw, dims).add(sum(tw, dims));
    const dice = intersection.mul(2).add(sn).div(denominator.add(sd).clamp(MIN_DENOMINATOR));
    const perPair = dice.neg().add(1);
    const reduction = opts.reduction ?? "mean";
    if (reduction !== "mean" && reduction !== "none") throw new RangeError(`${op}: reduction must be "mean" or "none". Received: ${String(reduction)}`);
    if (!w) return reduction === "none" ? perPair : perPair.mean();

    // Which samples (or the batch) have at least one counted voxel.
    const counted = sum(w, opts.batchDice ? [0, 1, ...spatial] : [1, ...spatial]).gt(0).to(logits.dtype);
    const valid = opts.batchDice ? counted : counted.unsqueeze(1);
    const kept = perPair.mul(valid);
    if (reduction === "none") return kept;
    const pairs = valid.sum().mul(perPair.shape.at(-1) as number);
    return kept.sum().div(where(pairs.gt(0), pairs, 1));
  });
}

function activate(op: string, logits: Tensor, activation: DiceActivation): Tensor {
  switch (activation) {
    case "softmax":
      return softmax(logits, 1);
    case "sigmoid":
      return sigmoid(logits);
    case "none":
      return logits;
    default:
      throw new RangeError(`${op}: activation must be "softmax", "sigmoid" or "none". Received: ${String(activation)}`);
  }
}

/**
 * diceLoss with fixed options; per-call options (e.g. this batch's mask) override them.
 * @example const dice = new DiceLoss({ includeBackground: false }); const loss = dice.forward(logits, labels);
 */
export class DiceLoss {
  constructor(readonly options: Readonly<DiceLossOptions> = {}) {}

  /** @see diceLoss */
  forward(logits: Tensor, target: Tensor, overrides: DiceLossOptions = {}): Tensor {
    return diceLoss(logits, target, { ...this.options, ...overrides });
  }
}
