// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
// following torch.optim.SGD (1.13, single-tensor path) operation for operation.
import { type Tensor, addInPlace, callTensor, mulInPlace, neg } from "../../tensor/index.js";
import { Optimizer, type ParamGroup, type ParamState, checkUnit } from "./optimizer.js";

export interface SGDHyper {
  /** @default 0 */
  momentum: number;
  /** Fraction of the new gradient withheld from the momentum buffer. @default 0 */
  dampening: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). @default false */
  nesterov: boolean;
  /** L2 penalty added to the gradient. @default 0 */
  weightDecay: number;
  /** Ascend instead of descend. @default false */
  maximize: boolean;
}

export interface SGDOptions extends Partial<SGDHyper> {
  lr: number;
}

/**
 * SGD: buf = momentum·buf + (1-dampening)·g; p -= lr·(nesterov ? g + momentum·buf : buf).
 * @example const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.99, nesterov: true });
 */
export class SGD extends Optimizer<SGDHyper> {
  readonly kind = "sgd";
  protected readonly stateNames = ["momentum_buffer"] as const;

  constructor(params: readonly Tensor[] | readonly ParamGroup<SGDHyper>[], opts: SGDOptions) {
    const { lr, ...rest } = opts;
    super(params, lr, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false }, rest);
  }

  protected validate(h: SGDHyper): void {
    if (!(h.momentum >= 0)) throw new RangeError(`SGD momentum must be >= 0. Received: ${h.momentum}`);
    checkUnit(h.dampening, "SGD dampening", true);
    if (!(h.weightDecay >= 0)) throw new RangeError(`SGD weightDecay must be >= 0. Received: ${h.weightDecay}`);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) throw new RangeError("SGD: Nesterov momentum requires momentum > 0 and dampening 0");
  }

  protected update(p: Tensor, grad: Tensor, state: ParamState, h: SGDHyper, lr: number): void {
    state.step += 1;
    let d = h.maximize ? neg(grad) : grad;
    if (h.weightDecay !== 0) d = callTensor("aten::add.Tensor", [d, p, h.weightDecay]);
    if (h.momentum !== 0) {
      let buf = state.tensors.get("momentum_buffer");
      if (buf === undefined) {
        buf = this.setState(state, "momentum_buffer", d.clone());
      } else {
        mulInPlace(buf, h.momentum);
        addInPlace(buf, d, 1 - h.dampening);
      }
      d = h.nesterov ? callTensor("aten::add.Tensor", [d, buf, h.momentum]) : buf;
    }
    addInPlace(p, d, -lr);
  }
}
