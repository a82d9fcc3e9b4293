// InstanceNorm3d: per-sample, per-channel normalisation over the spatial dims (nnU-Net's default
// norm), following torch.nn.InstanceNorm3d (affine and running statistics off by default).
import { type Tensor, instanceNorm } from "../tensor/index.js";
import { checkInput5d, normTensors } from "./_internal/norm-state.js";
import type { BatchNormOptions } from "./batch-norm3d.js";
import { Module } from "./module.js";

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
export class InstanceNorm3d extends Module {
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    opts: InstanceNormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    this.affine = opts.affine ?? false;
    this.trackRunningStats = opts.trackRunningStats ?? false;
    const t = normTensors("InstanceNorm3d", numFeatures, this.affine, this.trackRunningStats, opts.dtype);
    this.registerParameter("weight", t.weight);
    this.registerParameter("bias", t.bias);
    this.registerBuffer("running_mean", t.runningMean);
    this.registerBuffer("running_var", t.runningVar);
    // PyTorch registers (but never increments) this counter; kept so state dicts interchange.
    this.registerBuffer("num_batches_tracked", t.numBatchesTracked);
  }

  get weight(): Tensor | null {
    return this.optionalParam("weight");
  }

  get bias(): Tensor | null {
    return this.optionalParam("bias");
  }

  get runningMean(): Tensor | null {
    return this.optionalBuffer("running_mean");
  }

  get runningVar(): Tensor | null {
    return this.optionalBuffer("running_var");
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
