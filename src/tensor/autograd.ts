// Autograd entry points beyond Tensor.backward(): several roots at once, and gradients returned
// instead of accumulated (torch.autograd.grad).
import { nativeBinding } from "../native/index.js";
import { Tensor } from "./tensor.js";

/** Backpropagates from several outputs at once (gradients accumulate into leaves' .grad). */
export function backwardAll(outputs: readonly Tensor[], gradOutputs?: readonly Tensor[], opts: { retainGraph?: boolean } = {}): void {
  nativeBinding().backward(
    outputs.map((t) => t.handle),
    gradOutputs ? gradOutputs.map((t) => t.handle) : null,
    opts.retainGraph ?? false,
    false,
  );
}

export interface GradOptions {
  gradOutputs?: readonly Tensor[];
  /** @default createGraph */
  retainGraph?: boolean;
  /** Record the gradient computation (for higher-order gradients). @default false */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of failing. @default false */
  allowUnused?: boolean;
}

/** Gradients of `outputs` with respect to `inputs`, returned as new tensors (not accumulated). */
export function grad(outputs: readonly Tensor[], inputs: readonly Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const create = opts.createGraph ?? false;
  const handles = nativeBinding().autogradGrad(
    outputs.map((t) => t.handle),
    inputs.map((t) => t.handle),
    opts.gradOutputs ? opts.gradOutputs.map((t) => t.handle) : null,
    opts.retainGraph ?? create,
    create,
    opts.allowUnused ?? false,
  );
  return handles.map((h) => (h === null ? null : new Tensor(h)));
}
