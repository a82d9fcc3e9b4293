// Weight initialisers, filling a tensor in place with torch.nn.init's formulas. Each takes an
// optional Generator so one seed controls a whole model's initialisation; without one they draw
// from libtorch's default generator, exactly as torch.nn.init does after torch.manual_seed.
import { type Generator, type Tensor, fillInPlace, noGrad, normalInPlace, uniformInPlace } from "../tensor/index.js";

export type Nonlinearity = "linear" | "conv3d" | "sigmoid" | "tanh" | "relu" | "leaky_relu" | "selu";
export type FanMode = "fan_in" | "fan_out";

export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (used when nonlinearity is "leaky_relu"). @default 0 */
  a?: number;
  /** "fan_in" keeps forward activations' variance, "fan_out" the gradients'. @default "fan_in" */
  mode?: FanMode;
  /** @default "leaky_relu" */
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

export interface XavierOptions {
  /** @default 1 */
  gain?: number;
  generator?: Generator;
}

/**
 * Fan-in and fan-out of a weight: (out, in, ...kernel) gives in*prod(kernel) and out*prod(kernel),
 * as torch's _calculate_fan_in_and_fan_out (so a transposed conv's (Cin, Cout/g, k...) weight
 * reports Cout/g*k³ as its fan-in, like PyTorch).
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new RangeError(`Cannot compute fan in and fan out of a tensor with fewer than 2 dims. Received: shape=[${shape.join(",")}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: (shape[1] as number) * receptive, fanOut: (shape[0] as number) * receptive };
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "conv3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new TypeError(`Unsupported nonlinearity. Received: ${String(nonlinearity)}`);
  }
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const { fanIn, fanOut } = fans(t.shape);
  const fan = (opts.mode ?? "fan_in") === "fan_in" ? fanIn : fanOut;
  return calculateGain(opts.nonlinearity ?? "leaky_relu", opts.a ?? 0) / Math.sqrt(fan);
}

/** He et al. (2015) uniform init: U(-b, b) with b = gain*sqrt(3/fan). - Paper: arXiv:1502.01852 */
export function kaimingUniform(t: Tensor, opts: KaimingOptions = {}): void {
  if (t.size === 0) return;
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  uniform(t, -bound, bound, opts.generator);
}

/** He et al. (2015) normal init: N(0, gain²/fan). - Paper: arXiv:1502.01852 */
export function kaimingNormal(t: Tensor, opts: KaimingOptions = {}): void {
  if (t.size === 0) return;
  normal(t, 0, kaimingStd(t, opts), opts.generator);
}

function xavierStd(t: Tensor, gain: number): number {
  const { fanIn, fanOut } = fans(t.shape);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** Glorot & Bengio (2010) uniform init: U(-a, a) with a = gain*sqrt(6/(fan_in+fan_out)). */
export function xavierUniform(t: Tensor, opts: XavierOptions = {}): void {
  const a = Math.sqrt(3) * xavierStd(t, opts.gain ?? 1);
  uniform(t, -a, a, opts.generator);
}

/** Glorot & Bengio (2010) normal init: N(0, gain²·2/(fan_in+fan_out)). */
export function xavierNormal(t: Tensor, opts: XavierOptions = {}): void {
  normal(t, 0, xavierStd(t, opts.gain ?? 1), opts.generator);
}

/** Fills with U(low, high). */
export function uniform(t: Tensor, low = 0, high = 1, generator?: Generator): void {
  noGrad(() => uniformInPlace(t, low, high, generator));
}

/** Fills with N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1, generator?: Generator): void {
  noGrad(() => normalInPlace(t, mean, std, generator));
}

export function constant(t: Tensor, value: number): void {
  noGrad(() => fillInPlace(t, value));
}

export function zeros(t: Tensor): void {
  constant(t, 0);
}

export function ones(t: Tensor): void {
  constant(t, 1);
}

/**
 * PyTorch's default for Conv*d and Linear (reset_parameters): kaiming_uniform(a=√5) on the weight,
 * then U(-1/√fan_in, 1/√fan_in) on the bias, drawn in that order.
 */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null, generator?: Generator): void {
  kaimingUniform(weight, { a: Math.sqrt(5), generator });
  if (bias === null) return;
  const { fanIn } = fans(weight.shape);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  uniform(bias, -bound, bound, generator);
}
