// How much the members of a committee (two subnetworks, a teacher and its student, the models of
// an ensemble, or one network under flips) disagree about one scan: the score `labelwise suggest`
// ranks unlabelled cases by. Computed on the network grid (the plan's spacing, so every voxel is
// the same volume) from each member's sliding-window probabilities.
//
// Averages run over a region, by default the voxels some member calls foreground: over the whole
// scan the (large, easy) background would dilute the score and make it depend on the field of view.
import { type Tensor, ShapeError, add, argmax, clamp, div, eq, gt, log, logicalAnd, logicalOr, mul, neg, noGrad, sub, sum, tidy } from "../tensor/index.js";

/** The measures a case gets. */
export type DisagreementMeasure = "js" | "kl" | "dice";
export const DISAGREEMENT_MEASURES: readonly DisagreementMeasure[] = ["js", "kl", "dice"];

/** Where the voxel-wise measures (js, kl) are averaged. */
export type DisagreementRegion = "foreground" | "all";

/** Options of {@link committeeDisagreement}. */
export interface DisagreementOptions {
  /** "foreground": voxels where at least one member's argmax is a foreground class; "all": every voxel. @default "foreground" */
  readonly region?: DisagreementRegion;
}

/** One case's disagreement scores. */
export interface Disagreement {
  /**
   * Mean generalised Jensen-Shannon divergence over the region, in nats: H(mean of the members'
   * distributions) − mean of their entropies, voxel by voxel (the mutual information between the
   * member and the class). 0 when all members agree; at most ln(members).
   */
  readonly js: number;
  /** Mean symmetric Kullback-Leibler divergence KL(p‖q) + KL(q‖p) over the region, averaged over member pairs (nats). */
  readonly kl: number;
  /**
   * 1 − Dice between the members' label maps (argmax), averaged over foreground classes present in
   * either map and over member pairs; 0 when no member predicts foreground.
   */
  readonly dice: number;
  /** Voxels in the region (some member predicts foreground, or all voxels). */
  readonly regionVoxels: number;
  /** Voxels some member predicts as foreground. */
  readonly foregroundVoxels: number;
  readonly voxels: number;
}

/** Probabilities below this are treated as this in logarithms (0·log 0 = 0 stays 0 because it is multiplied by p). */
const EPS = 1e-12;

/** Voxel-wise entropy −Σ_c p log p of (C, …) probabilities: (…). */
function entropy(p: Tensor): Tensor {
  return tidy(() => neg(sum(mul(p, log(clamp(p, EPS))), 0)));
}

/** Σ of a float map over a boolean mask (null: everywhere), in float64 (millions of voxels). */
function maskedSum(map: Tensor, mask: Tensor | null): number {
  return tidy(() => sum(mask ? mul(map.to("float64"), mask.to("float64")) : map.to("float64")).item());
}

/** Mean foreground Dice of two label maps over classes 1..C−1 present in either; 1 when none is. */
function labelDice(a: Tensor, b: Tensor, numClasses: number): number {
  return tidy(() => {
    let total = 0;
    let present = 0;
    for (let k = 1; k < numClasses; k++) {
      const ak = eq(a, k);
      const bk = eq(b, k);
      const size = sum(ak).item() + sum(bk).item();
      if (size === 0) continue;
      total += (2 * sum(logicalAnd(ak, bk)).item()) / size;
      present++;
    }
    return present === 0 ? 1 : total / present;
  });
}

/**
 * Disagreement between the members' class probabilities for one volume.
 * @param members one (C, D, H, W) probability tensor per member (at least two), same shape; borrowed
 * @returns js and kl averaged over the region, 1 − Dice of the label maps, and the region's size
 * @throws RangeError for fewer than two members; ShapeError when their shapes differ
 * @example
 * const d = committeeDisagreement([probsA, probsB]); // d.js in [0, ln 2]
 */
export function committeeDisagreement(members: readonly Tensor[], opts: DisagreementOptions = {}): Disagreement {
  if (members.length < 2) throw new RangeError(`Cannot measure disagreement: it needs at least two members' probabilities. Received: ${members.length}`);
  const first = members[0]!;
  if (first.rank < 2) throw new ShapeError("committeeDisagreement", "(C, D, H, W) probabilities", first.shape);
  for (const m of members) {
    if (m.shape.length !== first.shape.length || m.shape.some((n, i) => n !== first.shape[i])) throw new ShapeError("committeeDisagreement", `every member shaped like the first (${first.shape.join(", ")})`, m.shape);
  }
  const region = opts.region ?? "foreground";
  if (region !== "foreground" && region !== "all") throw new RangeError(`Cannot measure disagreement: region must be "foreground" or "all". Received: ${String(region)}`);
  const numClasses = first.shape[0]!;
  const voxels = first.shape.slice(1).reduce((a, b) => a * b, 1);
  return noGrad(() =>
    tidy(() => {
      const labels = members.map((p) => argmax(p, 0));
      const fg = labels.map((l) => gt(l, 0)).reduce((a, b) => logicalOr(a, b));
      const foregroundVoxels = sum(fg).item();
      const mask = region === "foreground" ? fg : null;
      const regionVoxels = region === "foreground" ? foregroundVoxels : voxels;

      // js = H(mean p) − mean H(p_i), clamped at 0 against rounding.
      const meanP = div(members.reduce((a, b) => add(a, b)), members.length);
      const meanH = div(members.map(entropy).reduce((a, b) => add(a, b)), members.length);
      const jsMap = clamp(sub(entropy(meanP), meanH), 0);
      const logs = members.map((p) => log(clamp(p, EPS)));
      let klSum = 0;
      let diceSum = 0;
      let pairs = 0;
      for (let i = 0; i < members.length; i++) {
        for (let j = i + 1; j < members.length; j++) {
          const kl = tidy(() => sum(mul(sub(members[i]!, members[j]!), sub(logs[i]!, logs[j]!)), 0));
          klSum += regionVoxels === 0 ? 0 : maskedSum(kl, mask) / regionVoxels;
          diceSum += labelDice(labels[i]!, labels[j]!, numClasses);
          pairs++;
        }
      }
      return {
        js: regionVoxels === 0 ? 0 : maskedSum(jsMap, mask) / regionVoxels,
        kl: klSum / pairs,
        dice: 1 - diceSum / pairs,
        regionVoxels,
        foregroundVoxels,
        voxels,
      };
    }),
  );
}
