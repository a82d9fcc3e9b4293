// BatchNorm3d: per-channel normalisation with batch statistics while training and running
// statistics in eval mode, following torch.nn.BatchNorm3d step for step.
import { type Tensor, addInPlace, batchNorm, noGrad } from "../tensor/index.js";
import type { LayerOptions } from "./_internal/layer-options.js";
import { checkInput5d, normTensors } from "./_internal/norm-state.js";
import { Module } from "./module.js";

export interface BatchNormOptions extends Pick<LayerOptions, "dtype"> {
  /** @default 1e-5 */
  eps?: number;
  /** Weight of the newest batch in the running statistics; null for a cumulative average. @default 0.1 */
  momentum?: number | null;
  /** Learn a per-channel scale and shift. @default true */
  affine?: boolean;
  /** Keep running statistics for eval mode. @default true */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over (N, D, H, W) per channel. - Paper: arXiv:1502.03167
 * @example const bn = new BatchNorm3d(16); const y = bn.forward(x); // x (N, 16, D, H, W)
 */
export class BatchNorm3d extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions = {},
  ) {
    super();
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const t = normTensors("BatchNorm3d", numFeatures, this.affine, this.trackRunningStats, opts.dtype);
    this.registerParameter("weight", t.weight);
    this.registerParameter("bias", t.bias);
    this.registerBuffer("running_mean", t.runningMean);
    this.registerBuffer("running_var", t.runningVar);
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

  /** Batches seen in training mode (int64 scalar), or null without running statistics. */
  get numBatchesTracked(): Tensor | null {
    return this.optionalBuffer("num_batches_tracked");
  }

  /** (N, C, D, H, W) -> same shape; updates the running statistics in training mode. */
  forward(x: Tensor): Tensor {
    checkInput5d("BatchNorm3d", x, this.numFeatures);
    let factor = this.momentum ?? 0;
    const counter = this.numBatchesTracked;
    if (this.training && counter !== null) {
      noGrad(() => addInPlace(counter, 1));
      // momentum=null means a cumulative average: the k-th batch gets weight 1/k.
      if (this.momentum === null) factor = 1 / counter.item();
    }
    const useRunning = !this.training || this.trackRunningStats;
    return batchNorm(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: useRunning ? this.runningMean : null,
      runningVar: useRunning ? this.runningVar : null,
      // Without running statistics eval mode has nothing else to use, so it uses the batch's.
      training: this.training || (this.runningMean === null && this.runningVar === null),
      momentum: factor,
      eps: this.eps,
    });
  }
}
