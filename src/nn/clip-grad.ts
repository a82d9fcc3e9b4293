// Gradient clipping, matching torch.nn.utils.clip_grad_norm_ / clip_grad_value_ of torch 1.13
// operation for operation (same kernels, same order), so clipped gradients agree bit for bit.
import { type Tensor, callTensor, clampInPlace, mulInPlace, noGrad, tidy } from "../tensor/index.js";

export interface ClipGradNormOptions {
  /** Throw if the total norm is NaN or infinite instead of scaling by it. @default false */
  errorIfNonfinite?: boolean;
}

function grads(params: Iterable<Tensor>): Tensor[] {
  const out: Tensor[] = [];
  for (const p of params) {
    const g = p.grad;
    if (g !== null) out.push(g);
  }
  return out;
}

/** The p-norm of all of a tensor's elements (torch.norm(t, p) with dim=None). */
function fullNorm(t: Tensor, p: number): Tensor {
  return callTensor("aten::norm.ScalarOpt_dim", [t, p, [...t.shape.keys()], false]);
}

/**
 * Scales all gradients in place so that their joint `normType`-norm is at most `maxNorm`.
 * Parameters without a gradient are ignored.
 * @returns the total norm before clipping (0 when no parameter has a gradient)
 * @example const norm = clipGradNorm(model.parameters(), 12);
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, normType = 2, opts: ClipGradNormOptions = {}): number {
  return noGrad(() =>
    tidy(() => {
      const gs = grads(params);
      if (gs.length === 0) return 0;
      let total: Tensor;
      if (normType === Infinity) {
        const norms = gs.map((g) => callTensor("aten::max", [callTensor("aten::abs", [g])]));
        total = norms.length === 1 ? (norms[0] as Tensor) : callTensor("aten::max", [callTensor("aten::stack", [norms, 0])]);
      } else {
        total = fullNorm(callTensor("aten::stack", [gs.map((g) => fullNorm(g, normType)), 0]), normType);
      }
      const value = total.item();
      if (opts.errorIfNonfinite && !Number.isFinite(value)) {
        throw new RangeError(`clipGradNorm(): the total norm of order ${normType} of the gradients is non-finite (${value}), so it cannot be clipped`);
      }
      // torch computes max_norm / (total + 1e-6) as reciprocal(total + 1e-6) * max_norm (Tensor.__rdiv__).
      const coef = callTensor("aten::mul.Scalar", [callTensor("aten::reciprocal", [callTensor("aten::add.Scalar", [total, 1e-6, 1])]), maxNorm]);
      const clamped = callTensor("aten::clamp", [coef, null, 1.0]);
      for (const g of gs) mulInPlace(g, clamped);
      return value;
    }),
  );
}

/**
 * Clamps every gradient element to [-clipValue, clipValue] in place.
 * @example clipGradValue(model.parameters(), 1);
 */
export function clipGradValue(params: Iterable<Tensor>, clipValue: number): void {
  if (!(clipValue >= 0)) throw new RangeError(`clipGradValue(): clipValue must be >= 0. Received: ${clipValue}`);
  noGrad(() =>
    tidy(() => {
      for (const g of grads(params)) clampInPlace(g, -clipValue, clipValue);
    }),
  );
}
