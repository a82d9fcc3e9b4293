// ConvTranspose3d: learned upsampling, initialised like PyTorch's nn.ConvTranspose3d.
import { type Tensor, ShapeError, convTranspose3d } from "../tensor/index.js";
import { type LayerOptions, type Triple, triple } from "./_internal/layer-options.js";
import { WeightedLayer, checkConvChannels } from "./_internal/weighted-layer.js";

export interface ConvTranspose3dOptions extends LayerOptions {
  /** @default 1 */
  stride?: Triple;
  /** Removes dilation*(k-1)-padding voxels from each side of the full output. @default 0 */
  padding?: Triple;
  /** Extra voxels on one side of the output (must be < stride or < dilation). @default 0 */
  outputPadding?: Triple;
  /** @default 1 */
  dilation?: Triple;
  /** @default 1 */
  groups?: number;
  /** @default true */
  bias?: boolean;
}

/**
 * Transposed 3-D convolution with weight (Cin, Cout/groups, kD, kH, kW) and bias (Cout).
 * @example const up = new ConvTranspose3d(32, 16, 2, { stride: 2 }); // (N,32,D,H,W) -> (N,16,2D,2H,2W)
 */
export class ConvTranspose3d extends WeightedLayer {
  readonly kernelSize: [number, number, number];
  readonly stride: [number, number, number];
  readonly padding: [number, number, number];
  readonly outputPadding: [number, number, number];
  readonly dilation: [number, number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Triple,
    opts: ConvTranspose3dOptions = {},
  ) {
    super();
    this.kernelSize = triple(kernelSize, "ConvTranspose3d kernelSize", 1);
    this.stride = triple(opts.stride ?? 1, "ConvTranspose3d stride", 1);
    this.padding = triple(opts.padding ?? 0, "ConvTranspose3d padding", 0);
    this.outputPadding = triple(opts.outputPadding ?? 0, "ConvTranspose3d outputPadding", 0);
    this.dilation = triple(opts.dilation ?? 1, "ConvTranspose3d dilation", 1);
    this.groups = checkConvChannels("ConvTranspose3d", inChannels, outChannels, opts.groups ?? 1);
    if (this.outputPadding.some((p, i) => p >= Math.max(this.stride[i] as number, this.dilation[i] as number))) {
      throw new RangeError(`ConvTranspose3d: outputPadding must be smaller than stride or dilation. Received: [${this.outputPadding.join(",")}]`);
    }
    this.initWeightAndBias([inChannels, outChannels / this.groups, ...this.kernelSize], outChannels, opts);
  }

  /** (N, Cin, D, H, W) -> (N, Cout, (D-1)*s - 2p + dil*(k-1) + outputPadding + 1, ...) */
  forward(x: Tensor): Tensor {
    if (x.rank !== 5 || x.shape[1] !== this.inChannels) throw new ShapeError("ConvTranspose3d", `(N, ${this.inChannels}, D, H, W)`, x.shape);
    return convTranspose3d(x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: this.outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }
}
