// GroupNorm: normalisation over channel groups, independent of the batch size (small 3-D batches).
import { type Tensor, ShapeError, groupNorm, ones, zeros } from "../tensor/index.js";
import type { LayerOptions } from "./_internal/layer-options.js";
import { positiveInt } from "./_internal/layer-options.js";
import { Module } from "./module.js";

export interface GroupNormOptions extends Pick<LayerOptions, "dtype"> {
  /** @default 1e-5 */
  eps?: number;
  /** Learn a per-channel scale and shift. @default true */
  affine?: boolean;
}

/**
 * Group normalisation of (N, C, ...) over C/numGroups channels and all spatial positions. - Paper: arXiv:1803.08494
 * @example const gn = new GroupNorm(8, 32); const y = gn.forward(x); // x (N, 32, D, H, W)
 */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    opts: GroupNormOptions = {},
  ) {
    super();
    positiveInt(numGroups, "GroupNorm numGroups");
    positiveInt(numChannels, "GroupNorm numChannels");
    if (numChannels % numGroups !== 0) {
      throw new RangeError(`GroupNorm: numChannels must be divisible by numGroups. Received: ${numChannels}, ${numGroups}`);
    }
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    const dtype = opts.dtype ?? "float32";
    this.registerParameter("weight", this.affine ? ones([numChannels], { dtype }) : null);
    this.registerParameter("bias", this.affine ? zeros([numChannels], { dtype }) : null);
  }

  get weight(): Tensor | null {
    return this.optionalParam("weight");
  }

  get bias(): Tensor | null {
    return this.optionalParam("bias");
  }

  /** (N, C, ...) -> same shape. */
  forward(x: Tensor): Tensor {
    if (x.rank < 2 || x.shape[1] !== this.numChannels) throw new ShapeError("GroupNorm", `(N, ${this.numChannels}, ...)`, x.shape);
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps);
  }
}
