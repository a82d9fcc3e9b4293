// Autograd entry points beyond Tensor.backward(): several roots at once, and gradients returned
// instead of accumulated (torch.autograd.grad).
import { nativeBinding } from "../native/index.js";
import { runNative } from "./errors.js";
import { Tensor } from "./tensor.js";

/** Backpropagates from several outputs at once (gradients accumulate into leaves' .grad). */
export function backwardAll(outputs: readonly Tensor[], gradOutputs?: readonly Tensor[], opts: { retainGraph?: boolean } = {}): void {
  const roots = outputs.map((t) => t.handle);
  const grads = gradOutputs ? gradOutputs.map((t) => t.handle) : null;
  runNative("backward", () => nativeBinding().backward(roots, grads, opts.retainGraph ?? false, false));
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
  const outs = outputs.map((t) => t.handle);
  const ins = inputs.map((t) => t.handle);
  const gradOuts = opts.gradOutputs ? opts.gradOutputs.map((t) => t.handle) : null;
  const handles = runNative("grad", () => nativeBinding().autogradGrad(outs, ins, gradOuts, opts.retainGraph ?? create, create, opts.allowUnused ?? false));
  return handles.map((h) => (h === null ? null : new Tensor(h)));
}
