// Argument checks shared by the semi-supervised losses: layouts, probabilities from logits, and
// the "zero but connected" scalar returned when a loss has nothing to average.
import { type DType, type Tensor, ShapeError, isFloatingDType, oneHot } from "../../../tensor/index.js";

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Throws unless `x` is floating point with the given rank (or at least `minRank`). */
export function checkFloat(op: string, name: string, x: Tensor, layout: string, minRank: number, exactRank = false): void {
  if (exactRank ? x.rank !== minRank : x.rank < minRank) throw new ShapeError(op, `${name} ${layout}`, x.shape);
  if (!isFloatingDType(x.dtype)) throw new TypeError(`Cannot run ${op}: ${name} must be floating point. Received: ${x.dtype}`);
}

/** Throws unless a and b have the same shape. */
export function checkSameShape(op: string, what: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) throw new ShapeError(op, `${what} of the same shape [${a.shape.join(",")}]`, b.shape);
}

/** Multi-class logits (N, C ≥ 2, ...spatial). */
export function checkClassLogits(op: string, name: string, logits: Tensor): void {
  checkFloat(op, name, logits, "(N, C, ...spatial) with C >= 2", 3);
  if ((logits.shape[1] as number) < 2) throw new ShapeError(op, `${name} (N, C, ...spatial) with C >= 2 (softmax logits)`, logits.shape);
}

/**
 * An integer label map for (N, C, ...spatial) logits, as int64 (N, ...spatial); accepts
 * (N, ...spatial) or (N, 1, ...spatial).
 */
export function labelsFor(op: string, name: string, logits: Tensor, labels: Tensor): Tensor {
  if (isFloatingDType(labels.dtype)) throw new TypeError(`Cannot run ${op}: ${name} must be an integer label map. Received: ${labels.dtype}`);
  const [n, , ...spatial] = logits.shape as number[];
  if (sameShape(labels.shape, [n as number, ...spatial])) return labels.to("int64");
  if (sameShape(labels.shape, [n as number, 1, ...spatial])) return labels.squeeze(1).to("int64");
  throw new ShapeError(op, `${name} (${[n, ...spatial].join(", ")}) or (${[n, 1, ...spatial].join(", ")})`, labels.shape);
}

/** A scalar +0 that depends on `x`, so backward() works and gives a zero gradient. */
export function zeroLike(x: Tensor): Tensor {
  // sum·0 is −0 when the sum is negative; adding +0 makes it +0 (IEEE: −0 + 0 = +0).
  return x.sum().mul(0).add(0);
}

export function checkProbability(op: string, name: string, v: number, open = false): void {
  const ok = open ? v > 0 && v < 1 : v >= 0 && v <= 1;
  if (!ok) throw new RangeError(`${op}: ${name} must be in ${open ? "(0, 1)" : "[0, 1]"}. Received: ${v}`);
}

export function checkPositive(op: string, name: string, v: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`${op}: ${name} must be a positive finite number. Received: ${v}`);
}

/** One-hot channels (N, C, ...spatial) in `dtype` for an int64 label map (N, ...spatial) with values in [0, C). */
export function oneHotChannels(labels: Tensor, classes: number, dtype: DType): Tensor {
  const hot = oneHot(labels, classes); // classes last
  const dims = [0, hot.rank - 1, ...Array.from({ length: hot.rank - 2 }, (_, i) => i + 1)];
  const out = hot.permute(dims).to(dtype);
  hot.dispose();
  return out;
}
