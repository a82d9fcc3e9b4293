// Dropout layers. Active only in training mode; an optional Generator makes the masks
// reproducible independently of every other random draw.
import { type Generator, type Tensor, ShapeError, callTensor, dropout, tidy } from "../tensor/index.js";
import { Module } from "./module.js";

function checkP(what: string, p: number): number {
  if (!(p >= 0 && p < 1)) throw new RangeError(`${what}: p must be in [0, 1). Received: ${p}`);
  return p;
}

export interface DropoutOptions {
  /** Draw masks from this generator (default: libtorch's default generator). */
  generator?: Generator;
}

/**
 * Zeroes each element with probability p and scales the survivors by 1/(1-p) while training.
 * @example const drop = new Dropout(0.2, { generator: new Generator(1) });
 */
export class Dropout extends Module {
  readonly generator: Generator | undefined;

  constructor(
    readonly p = 0.5,
    opts: DropoutOptions = {},
  ) {
    super();
    checkP("Dropout", p);
    this.generator = opts.generator;
  }

  /** Any shape -> same shape. */
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}

/**
 * Channel dropout for (N, C, D, H, W): zeroes whole channels with probability p and scales the
 * rest by 1/(1-p) while training (torch's Dropout3d). Neighbouring voxels are strongly
 * correlated, so dropping single voxels would barely regularise. - Paper: arXiv:1411.4280
 */
export class Dropout3d extends Module {
  readonly generator: Generator | undefined;

  constructor(
    readonly p = 0.5,
    opts: DropoutOptions = {},
  ) {
    super();
    checkP("Dropout3d", p);
    this.generator = opts.generator;
  }

  /** (N, C, D, H, W) -> same shape. */
  forward(x: Tensor): Tensor {
    if (x.rank !== 5) throw new ShapeError("Dropout3d", "rank 5 (N, C, D, H, W)", x.shape);
    if (!this.training || this.p === 0) return callTensor("aten::alias", [x]);
    const [n, c] = x.shape as [number, number];
    return tidy(() => {
      const ones = callTensor("aten::new_ones", [x, [n, c, 1, 1, 1]]);
      const keepMask = callTensor("aten::bernoulli.p", [ones, 1 - this.p, this.generator ?? null]);
      const scale = callTensor("aten::div.Scalar", [keepMask, 1 - this.p]);
      return callTensor("aten::mul.Tensor", [x, scale]);
    });
  }
}
