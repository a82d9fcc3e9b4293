// BatchNorm3d: per-channel normalisation with batch statistics while training and running
// statistics in eval mode, following torch.nn.BatchNorm3d step for step.
import { type Tensor, addInPlace, batchNorm, noGrad } from "../tensor/index.js";
import type { LayerOptions } from "./_internal/layer-options.js";
import { RunningStatsNorm, checkInput5d } from "./_internal/norm-state.js";

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
export class BatchNorm3d extends RunningStatsNorm {
  readonly momentum: number | null;

  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super("BatchNorm3d", numFeatures, opts.eps ?? 1e-5, opts.affine ?? true, opts.trackRunningStats ?? true, opts.dtype);
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
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
