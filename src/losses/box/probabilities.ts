// How a network's output becomes one foreground probability per organ channel, shared by every box
// loss so that "organ k" means the same logit channel everywhere:
//   softmax — logits (N, K + 1, ...), channel 0 the background, organ k is channel k + 1
//             (mutually exclusive organs, the usual multi-organ setting);
//   sigmoid — logits (N, K, ...), organ k is channel k (independent, multi-label organs);
//   none    — probabilities (N, K, ...) already in [0, 1].
import { type Tensor, ShapeError, cat, isFloatingDType, logsumexp, softplus, tidy } from "../../tensor/index.js";

/** The activation that turns logits into per-organ foreground probabilities. */
export type BoxActivation = "softmax" | "sigmoid" | "none";

/** Probabilities given with activation "none" are clamped into [EPS, 1 − EPS] before a log. */
const PROBABILITY_EPS = 1e-6;

/** Throws a RangeError naming `op` unless `activation` is one of the three. */
export function checkActivation(op: string, activation: BoxActivation): void {
  if (activation !== "softmax" && activation !== "sigmoid" && activation !== "none") {
    throw new RangeError(`${op}: activation must be "softmax", "sigmoid" or "none". Received: ${String(activation)}`);
  }
}

/**
 * The number of organ channels K that logits of this shape carry, after checking the layout.
 * @param logits (N, C, D, H, W)
 * @param boxChannels when given, K must equal it (the box mask's channel count)
 */
export function organChannels(op: string, logits: Tensor, activation: BoxActivation, boxChannels?: number): number {
  checkActivation(op, activation);
  if (logits.rank !== 5) throw new ShapeError(op, "logits (N, C, D, H, W)", logits.shape);
  if (!isFloatingDType(logits.dtype)) throw new TypeError(`Cannot run ${op}: logits must be floating point. Received: ${logits.dtype}`);
  const C = logits.shape[1] as number;
  const K = activation === "softmax" ? C - 1 : C;
  if (K < 1) throw new ShapeError(op, `logits with at least ${activation === "softmax" ? 2 : 1} channel(s) for activation "${activation}"`, logits.shape);
  if (boxChannels !== undefined && boxChannels !== K) {
    const want = activation === "softmax" ? `K + 1 = ${boxChannels + 1} channels (background first)` : `K = ${boxChannels} channels`;
    throw new ShapeError(op, `logits with ${want} for a ${boxChannels}-channel box mask and activation "${activation}"`, logits.shape);
  }
  return K;
}

/**
 * Foreground probability per organ channel.
 * @param logits (N, C, ...spatial)
 * @returns (N, K, ...spatial)
 */
export function foregroundProbabilities(logits: Tensor, activation: BoxActivation): Tensor {
  switch (activation) {
    case "softmax":
      return tidy(() => logits.softmax(1).slice(1, 1));
    case "sigmoid":
      return logits.sigmoid();
    case "none":
      return logits.clone();
    default:
      throw new RangeError(`activation must be "softmax", "sigmoid" or "none". Received: ${String(activation)}`);
  }
}

/**
 * log p and log(1 − p) of organ `k`, computed from logits without forming 1 − p (which loses all
 * precision as p → 1): for softmax, log(1 − p_k) = logsumexp_{c ≠ k} z_c − logsumexp_c z_c.
 * @param logits (N, C, ...spatial), usually a crop around organ k's box (this is per organ on purpose:
 *   the softmax form needs a logsumexp over the other channels, C times the crop's memory)
 * @returns [log p, log(1 − p)], each (N, 1, ...spatial)
 */
export function organLogProbabilities(logits: Tensor, k: number, activation: BoxActivation): [Tensor, Tensor] {
  return tidy(() => logProbabilities(logits, k, activation));
}

function logProbabilities(logits: Tensor, k: number, activation: BoxActivation): [Tensor, Tensor] {
  switch (activation) {
    case "softmax": {
      const C = logits.shape[1] as number;
      const all = logsumexp(logits, 1, { keepdim: true });
      const parts = [logits.slice(1, 0, k + 1), logits.slice(1, k + 2, C)].filter((t) => (t.shape[1] as number) > 0);
      const others = logsumexp(parts.length === 1 ? (parts[0] as Tensor) : cat(parts, 1), 1, { keepdim: true });
      return [logits.slice(1, k + 1, k + 2).sub(all), others.sub(all)];
    }
    case "sigmoid": {
      // log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z); softplus's threshold keeps both exact in the tails.
      const z = logits.slice(1, k, k + 1);
      return [softplus(z.neg()).neg(), softplus(z).neg()];
    }
    case "none": {
      const p = logits.slice(1, k, k + 1).clamp(PROBABILITY_EPS, 1 - PROBABILITY_EPS);
      return [p.log(), p.neg().add(1).log()];
    }
    default:
      throw new RangeError(`activation must be "softmax", "sigmoid" or "none". Received: ${String(activation)}`);
  }
}

/**
 * The binary logit log(p / (1 − p)) of organ `k`: zero exactly where p = 0.5, and, unlike p, not
 * saturated far from the surface (the shape prior interpolates the 0.5 crossing in this field).
 * @returns (N, 1, ...spatial)
 */
export function organLogit(logits: Tensor, k: number, activation: BoxActivation): Tensor {
  if (activation === "sigmoid") return tidy(() => logits.slice(1, k, k + 1).clone());
  return tidy(() => {
    const [lp, lq] = logProbabilities(logits, k, activation);
    return lp.sub(lq);
  });
}
