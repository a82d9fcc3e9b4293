// Linear: the fully connected layer, initialised like PyTorch's nn.Linear.
import { type Tensor, ShapeError, linear, zeros } from "../tensor/index.js";
import { type LayerOptions, positiveInt } from "./_internal/layer-options.js";
import { defaultLayerInit } from "./init.js";
import { Module } from "./module.js";

export interface LinearOptions extends LayerOptions {
  /** @default true */
  bias?: boolean;
}

/**
 * y = x Wᵀ + b with weight (out, in) and bias (out).
 * @example const head = new Linear(256, 128); const z = head.forward(x); // (N, 256) -> (N, 128)
 */
export class Linear extends Module {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    positiveInt(inFeatures, "Linear inFeatures");
    positiveInt(outFeatures, "Linear outFeatures");
    const dtype = opts.dtype ?? "float32";
    const weight = zeros([outFeatures, inFeatures], { dtype });
    const bias = (opts.bias ?? true) ? zeros([outFeatures], { dtype }) : null;
    defaultLayerInit(weight, bias, opts.generator);
    this.registerParameter("weight", weight);
    this.registerParameter("bias", bias);
  }

  get weight(): Tensor {
    return this.param("weight");
  }

  get bias(): Tensor | null {
    return this.optionalParam("bias");
  }

  /** (..., in) -> (..., out) */
  forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) throw new ShapeError("Linear", `(..., ${this.inFeatures})`, x.shape);
    return linear(x, this.weight, this.bias);
  }
}
