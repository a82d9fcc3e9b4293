// Linear: the fully connected layer, initialised like PyTorch's nn.Linear.
import { type Tensor, ShapeError, linear } from "../tensor/index.js";
import { type LayerOptions, positiveInt } from "./_internal/layer-options.js";
import { WeightedLayer } from "./_internal/weighted-layer.js";

export interface LinearOptions extends LayerOptions {
  /** @default true */
  bias?: boolean;
}

/**
 * y = x Wᵀ + b with weight (out, in) and bias (out).
 * @example const head = new Linear(256, 128); const z = head.forward(x); // (N, 256) -> (N, 128)
 */
export class Linear extends WeightedLayer {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    positiveInt(inFeatures, "Linear inFeatures");
    positiveInt(outFeatures, "Linear outFeatures");
    this.initWeightAndBias([outFeatures, inFeatures], outFeatures, opts);
  }

  /** (..., in) -> (..., out) */
  forward(x: Tensor): Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inFeatures) throw new ShapeError("Linear", `(..., ${this.inFeatures})`, x.shape);
    return linear(x, this.weight, this.bias);
  }
}
