// Adam and AdamW (with AMSGrad), following torch.optim.Adam / AdamW of torch 1.13 (single-tensor
// path) operation for operation, so trajectories agree with PyTorch to float32 rounding.
import { type Tensor, addInPlace, addcdivInPlace, addcmulInPlace, callTensor, mulInPlace, neg, zerosLike } from "../../tensor/index.js";
import { Optimizer, type ParamGroup, type ParamState, checkUnit } from "./optimizer.js";

export interface AdamHyper {
  /** Decay rates of the first and second moment estimates. @default [0.9, 0.999] */
  betas: readonly [number, number];
  /** Added to the denominator for stability. @default 1e-8 */
  eps: number;
  /** Adam: L2 penalty added to the gradient; AdamW: decoupled decay p *= 1 - lr·wd. @default 0 (Adam), 0.01 (AdamW) */
  weightDecay: number;
  /** Normalise by the running maximum of the second moment. - Paper: openreview.net/forum?id=ryQu7f-RZ @default false */
  amsgrad: boolean;
  /** @default false */
  maximize: boolean;
}

export interface AdamOptions extends Partial<AdamHyper> {
  /** @default 1e-3 */
  lr?: number;
}

type Params = readonly Tensor[] | readonly ParamGroup<AdamHyper>[];

abstract class AdamBase extends Optimizer<AdamHyper> {
  protected readonly stateNames = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] as const;
  /** AdamW's decoupled weight decay instead of an L2 term in the gradient. */
  protected abstract readonly decoupled: boolean;

  protected validate(h: AdamHyper): void {
    // Runs from the base constructor, before subclass fields such as `kind` exist.
    const name = this.constructor.name;
    if (!Array.isArray(h.betas) || h.betas.length !== 2) throw new RangeError(`${name} betas must be two numbers. Received: ${JSON.stringify(h.betas)}`);
    checkUnit(h.betas[0], `${name} betas[0]`);
    checkUnit(h.betas[1], `${name} betas[1]`);
    if (!(h.eps >= 0)) throw new RangeError(`${name} eps must be >= 0. Received: ${h.eps}`);
    if (!(h.weightDecay >= 0)) throw new RangeError(`${name} weightDecay must be >= 0. Received: ${h.weightDecay}`);
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, h: AdamHyper, lr: number): void {
    const [beta1, beta2] = h.betas;
    const expAvg = state.tensors.get("exp_avg") ?? this.setState(state, "exp_avg", zerosLike(p));
    const expAvgSq = state.tensors.get("exp_avg_sq") ?? this.setState(state, "exp_avg_sq", zerosLike(p));
    state.step += 1;
    let g = h.maximize ? neg(grad) : grad;
    if (this.decoupled) mulInPlace(p, 1 - lr * h.weightDecay);
    else if (h.weightDecay !== 0) g = callTensor("aten::add.Tensor", [g, p, h.weightDecay]);

    mulInPlace(expAvg, beta1);
    addInPlace(expAvg, g, 1 - beta1);
    mulInPlace(expAvgSq, beta2);
    addcmulInPlace(expAvgSq, g, g, 1 - beta2);

    const biasCorrection1 = 1 - beta1 ** state.step;
    const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
    const stepSize = lr / biasCorrection1;
    let second = expAvgSq;
    if (h.amsgrad) {
      const max = state.tensors.get("max_exp_avg_sq") ?? this.setState(state, "max_exp_avg_sq", zerosLike(p));
      callTensor("aten::maximum.out", [max, expAvgSq, max]);
      second = max;
    }
    const denom = callTensor("aten::div.Scalar", [callTensor("aten::sqrt", [second]), biasCorrection2Sqrt]);
    addInPlace(denom, h.eps);
    addcdivInPlace(p, expAvg, denom, -stepSize);
  }
}

/**
 * Adam with L2 weight decay folded into the gradient. - Paper: arXiv:1412.6980
 * @example const opt = new Adam(model.parameters(), { lr: 3e-4 });
 */
export class Adam extends AdamBase {
  readonly kind: string = "adam";
  protected readonly decoupled: boolean = false;

  constructor(params: Params, opts: AdamOptions = {}) {
    const { lr, ...rest } = opts;
    super(params, lr ?? 1e-3, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false }, rest);
  }
}

/**
 * AdamW: Adam with decoupled weight decay. - Paper: arXiv:1711.05101
 * @example const opt = new AdamW(model.parameters(), { lr: 1e-4, weightDecay: 0.05 });
 */
export class AdamW extends AdamBase {
  readonly kind: string = "adamw";
  protected readonly decoupled: boolean = true;

  constructor(params: Params, opts: AdamOptions = {}) {
    const { lr, ...rest } = opts;
    super(params, lr ?? 1e-3, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false }, rest);
  }
}
