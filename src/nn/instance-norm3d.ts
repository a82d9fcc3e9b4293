// InstanceNorm3d: per-sample, per-channel normalisation over the spatial dims (nnU-Net's default
// norm), following torch.nn.InstanceNorm3d (affine and running statistics off by default).
import { type Tensor, instanceNorm } from "../tensor/index.js";
import { RunningStatsNorm, checkInput5d } from "./_internal/norm-state.js";
import type { BatchNormOptions } from "./batch-norm3d.js";

export interface InstanceNormOptions extends Omit<BatchNormOptions, "momentum" | "affine" | "trackRunningStats"> {
  /** @default 0.1 */
  momentum?: number;
  /** @default false */
  affine?: boolean;
  /** Keep running statistics and use them in eval mode. @default false */
  trackRunningStats?: boolean;
}

/**
 * Instance normalisation. - Paper: arXiv:1607.08022
 * @example const norm = new InstanceNorm3d(32, { affine: true }); const y = norm.forward(x); // x (N, 32, D, H, W)
 */
export class InstanceNorm3d extends RunningStatsNorm {
  readonly momentum: number;

  constructor(numFeatures: number, opts: InstanceNormOptions = {}) {
    super("InstanceNorm3d", numFeatures, opts.eps ?? 1e-5, opts.affine ?? false, opts.trackRunningStats ?? false, opts.dtype);
    this.momentum = opts.momentum ?? 0.1;
  }

  /** (N, C, D, H, W) -> same shape. */
  forward(x: Tensor): Tensor {
    checkInput5d("InstanceNorm3d", x, this.numFeatures);
    return instanceNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}
