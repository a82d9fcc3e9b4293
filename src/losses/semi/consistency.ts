// Consistency losses between predictions: sharpened mutual consistency between decoders
// (MC-Net+ / FBA-Net+) and softmax MSE between student and teacher (mean teacher). The target
// side is always detached: it is a label for the other prediction, not something to train
// towards (the published FBA-Net+ code let gradient into the sharpened target).
import { type Tensor, amax, maximum, sigmoid, softmax, tidy, where } from "../../tensor/index.js";
import { checkFloat, checkPositive, checkSameShape } from "./_internal/checks.js";
import { voxelWeightsFor } from "./_internal/voxels.js";

/** How logits become probabilities: softmax over channels, or an independent sigmoid per channel. */
export type ProbabilityActivation = "softmax" | "sigmoid";

/**
 * Temperature sharpening. Over channels (dim 1): p_c^{1/T} / Σ_k p_k^{1/T}; with `binary` (or a
 * single channel) each value is a foreground probability: p^{1/T} / (p^{1/T} + (1 − p)^{1/T}). The
 * two agree on two-class softmax outputs. Computed relative to the largest term so 1/T = 10 powers
 * never underflow to 0/0.
 * - Paper: Wu et al., MC-Net+, arXiv:2109.09960
 * @param probs (N, C, ...spatial) probabilities
 * @param temperature T > 0. @default 0.1
 * @returns same shape and dtype (with gradient; detach it to use it as a target)
 */
export function sharpen(probs: Tensor, temperature = 0.1, opts: { binary?: boolean } = {}): Tensor {
  checkFloat("sharpen", "probs", probs, "(N, C, ...spatial)", 2);
  checkPositive("sharpen", "temperature", temperature);
  const k = 1 / temperature;
  return tidy(() => {
    if (opts.binary || probs.shape[1] === 1) {
      const q = probs.neg().add(1);
      const m = maximum(probs, q); // >= 0.5 for probabilities
      const a = probs.div(m).pow(k);
      return a.div(a.add(q.div(m).pow(k)));
    }
    const m = amax(probs, 1, { keepdim: true }).clamp(1e-30);
    const r = probs.div(m).pow(k);
    return r.div(r.sum(1, { keepdim: true }));
  });
}

function probabilities(logits: Tensor, activation: ProbabilityActivation): Tensor {
  if (activation === "softmax") return softmax(logits, 1);
  if (activation === "sigmoid") return sigmoid(logits);
  throw new RangeError(`activation must be "softmax" or "sigmoid". Received: ${String(activation)}`);
}

export interface SharpenedConsistencyOptions {
  /** @default 0.1 */
  temperature?: number;
  /** @default "softmax" */
  activation?: ProbabilityActivation;
}

/**
 * MSE(p, stopgrad(sharpen(q))) with p, q the probabilities of `logits` and `targetLogits`, mean
 * over every element. No gradient reaches `targetLogits`.
 * @param logits (N, C, ...spatial) the prediction being trained
 * @param targetLogits (N, C, ...spatial) the prediction whose sharpened copy is the target
 */
export function sharpenedConsistencyLoss(logits: Tensor, targetLogits: Tensor, opts: SharpenedConsistencyOptions = {}): Tensor {
  const op = "sharpenedConsistencyLoss";
  checkFloat(op, "logits", logits, "(N, C, ...spatial)", 3);
  checkSameShape(op, "targetLogits", logits, targetLogits);
  const activation = opts.activation ?? "softmax";
  return tidy(() => {
    const target = sharpen(probabilities(targetLogits.detach(), activation), opts.temperature ?? 0.1, { binary: activation === "sigmoid" });
    return probabilities(logits, activation).sub(target).square().mean();
  });
}

/**
 * Mutual consistency between K ≥ 2 decoders: (1 / (K(K−1))) Σ_{i≠j} MSE(p_i, stopgrad(sharpen(p_j))),
 * the mean over ordered pairs, so the scale does not grow with the number of decoders. Each
 * decoder is pulled towards the others' sharpened predictions; none is pulled by its own target.
 * - Paper: Wu et al., MC-Net+, arXiv:2109.09960; Chung et al., FBA-Net+, arXiv:2306.15189
 * @param logits K tensors (N, C, ...spatial), e.g. decoderOutputs(out).map((o) => o.logits)
 * @example const lmc = mutualConsistencyLoss(decoderOutputs(out).map((o) => o.logits)).mul(consistencyWeight(it));
 */
export function mutualConsistencyLoss(logits: readonly Tensor[], opts: SharpenedConsistencyOptions = {}): Tensor {
  const op = "mutualConsistencyLoss";
  if (logits.length < 2) throw new RangeError(`${op}: needs the logits of at least 2 decoders. Received: ${logits.length}`);
  const first = logits[0] as Tensor;
  checkFloat(op, "logits[0]", first, "(N, C, ...spatial)", 3);
  for (const l of logits.slice(1)) checkSameShape(op, "logits", first, l);
  const activation = opts.activation ?? "softmax";
  const temperature = opts.temperature ?? 0.1;
  return tidy(() => {
    const probs = logits.map((l) => probabilities(l, activation));
    // One detached sharpened target per decoder, shared by the K − 1 terms that use it.
    const targets = logits.map((l) => sharpen(probabilities(l.detach(), activation), temperature, { binary: activation === "sigmoid" }));
    let total: Tensor | null = null;
    probs.forEach((p, i) =>
      targets.forEach((t, j) => {
        if (i === j) return;
        const term = p.sub(t).square().mean();
        total = total ? total.add(term) : term;
      }),
    );
    return (total as unknown as Tensor).div(logits.length * (logits.length - 1));
  });
}

export interface SoftmaxMSEOptions {
  /** Voxels that count, (N, ...spatial) or (N, 1, ...spatial); 0 excludes, other values weight. */
  mask?: Tensor | null;
}

/**
 * Mean teacher's consistency: the squared difference of the student's and the (detached)
 * teacher's softmax, averaged over classes and (weighted) voxels: Σ_v w_v Σ_c (p_vc − q_vc)² / (C Σ_v w_v).
 * Without a mask this is mean((p − q)²); a mask that excludes every voxel gives 0.
 * - Paper: Tarvainen & Valpola, Mean teacher, arXiv:1703.01780; Yu et al., UA-MT, arXiv:1907.07034
 * @param studentLogits (N, C, ...spatial)
 * @param teacherLogits (N, C, ...spatial); never receives gradient
 */
export function softmaxMSELoss(studentLogits: Tensor, teacherLogits: Tensor, opts: SoftmaxMSEOptions = {}): Tensor {
  const op = "softmaxMSELoss";
  checkFloat(op, "studentLogits", studentLogits, "(N, C, ...spatial)", 3);
  checkSameShape(op, "teacherLogits", studentLogits, teacherLogits);
  return tidy(() => {
    const sq = softmax(studentLogits, 1).sub(softmax(teacherLogits.detach(), 1)).square();
    if (!opts.mask) return sq.mean();
    const w = voxelWeightsFor(op, studentLogits, opts.mask);
    const den = w.sum().mul(studentLogits.shape[1] as number);
    const num = sq.mul(w).sum();
    // Nothing counted: num is 0 too, so dividing by 1 gives exactly 0 with a zero gradient.
    return num.div(where(den.gt(0), den, 1));
  });
}
