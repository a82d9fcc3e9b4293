// Conv3d: the 3-D convolution layer, initialised like PyTorch's nn.Conv3d.
import { type Tensor, ShapeError, callTensor, conv3d } from "../tensor/index.js";
import { type LayerOptions, type Triple, triple } from "./_internal/layer-options.js";
import { WeightedLayer, checkConvChannels } from "./_internal/weighted-layer.js";

export interface Conv3dOptions extends LayerOptions {
  /** @default 1 */
  stride?: Triple;
  /** Zero padding per side, or "same" (output keeps the input size; stride 1 only) / "valid". @default 0 */
  padding?: Triple | "same" | "valid";
  /** @default 1 */
  dilation?: Triple;
  /** Split channels into this many independent groups. @default 1 */
  groups?: number;
  /** @default true */
  bias?: boolean;
}

/**
 * 3-D convolution with weight (Cout, Cin/groups, kD, kH, kW) and bias (Cout).
 * @example const conv = new Conv3d(1, 16, 3, { padding: 1 }); const y = conv.forward(x); // (N,1,D,H,W) -> (N,16,D,H,W)
 */
export class Conv3d extends WeightedLayer {
  readonly kernelSize: [number, number, number];
  readonly stride: [number, number, number];
  readonly padding: [number, number, number] | "same" | "valid";
  readonly dilation: [number, number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Triple,
    opts: Conv3dOptions = {},
  ) {
    super();
    this.kernelSize = triple(kernelSize, "Conv3d kernelSize", 1);
    this.stride = triple(opts.stride ?? 1, "Conv3d stride", 1);
    const pad = opts.padding ?? 0;
    this.padding = typeof pad === "string" ? pad : triple(pad, "Conv3d padding", 0);
    this.dilation = triple(opts.dilation ?? 1, "Conv3d dilation", 1);
    this.groups = checkConvChannels("Conv3d", inChannels, outChannels, opts.groups ?? 1);
    if (this.padding === "same" && this.stride.some((s) => s !== 1)) {
      throw new RangeError(`Conv3d: padding "same" needs stride 1. Received: stride=[${this.stride.join(",")}]`);
    }
    this.initWeightAndBias([outChannels, inChannels / this.groups, ...this.kernelSize], outChannels, opts);
  }

  /** (N, Cin, D, H, W) -> (N, Cout, D', H', W') */
  forward(x: Tensor): Tensor {
    if (x.rank !== 5 || x.shape[1] !== this.inChannels) throw new ShapeError("Conv3d", `(N, ${this.inChannels}, D, H, W)`, x.shape);
    if (typeof this.padding === "string") {
      return callTensor("aten::conv3d.padding", [x, this.weight, this.bias, this.stride, this.padding, this.dilation, this.groups]);
    }
    return conv3d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}
