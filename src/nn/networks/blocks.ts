// The shared building blocks of every network: conv-norm-act layers, ResNet basic blocks, the
// upsampling step, per-level stages and a list container. Each forward releases its own
// intermediates as soon as the next op has consumed them (autograd keeps what backward needs), so
// peak memory tracks PyTorch's rather than growing until the caller's tidy() closes.
import {
  type DType,
  type Generator,
  type Tensor,
  add,
  gelu,
  interpolate,
  leakyRelu,
  relu,
} from "../../tensor/index.js";
import { BatchNorm3d } from "../batch-norm3d.js";
import { ConvTranspose3d } from "../conv-transpose3d.js";
import { Conv3d } from "../conv3d.js";
import { Dropout, Dropout3d } from "../dropout.js";
import { GroupNorm } from "../group-norm.js";
import { InstanceNorm3d } from "../instance-norm3d.js";
import { Module } from "../module.js";
import { type Layer, Sequential } from "../sequential.js";
import type { ActivationConfig, BlockKind, DropoutConfig, NormConfig, UpsampleKind } from "./config.js";

type Triple3 = [number, number, number];

/** What every block needs from the resolved network config, plus the build-time generators. */
export interface BlockSettings {
  norm: Required<NormConfig>;
  activation: Required<ActivationConfig>;
  convBias: boolean;
  dropout: Required<DropoutConfig>;
  /** Initial weights are drawn from it (default: libtorch's default generator). */
  generator: Generator | undefined;
  /** Dropout masks are drawn from it. */
  dropoutGenerator: Generator | undefined;
  dtype: DType | undefined;
}

type NormLayer = BatchNorm3d | InstanceNorm3d | GroupNorm;

/** A norm layer for `channels`, or null for "none". */
export function makeNorm(s: BlockSettings, channels: number): NormLayer | null {
  const { kind, affine, eps, momentum, groups } = s.norm;
  switch (kind) {
    case "batch":
      return new BatchNorm3d(channels, { eps, momentum, affine, dtype: s.dtype });
    case "instance":
      return new InstanceNorm3d(channels, { eps, affine, dtype: s.dtype });
    case "group":
      return new GroupNorm(groups, channels, { eps, affine, dtype: s.dtype });
    case "none":
      return null;
  }
}

/** Applies the configured activation (a fresh tensor; the input is left alone). */
export function activate(s: BlockSettings, x: Tensor): Tensor {
  switch (s.activation.kind) {
    case "relu":
      return relu(x);
    case "leaky-relu":
      return leakyRelu(x, s.activation.negativeSlope);
    case "gelu":
      return gelu(x);
  }
}

/** A dropout layer with the configured probability and kind. */
export function makeDropout(s: BlockSettings): Dropout | Dropout3d {
  const opts = { generator: s.dropoutGenerator };
  return s.dropout.channelwise ? new Dropout3d(s.dropout.p, opts) : new Dropout(s.dropout.p, opts);
}

/** Runs `f(h)` and disposes `h` unless it is `keep` (the caller's input). */
function step(h: Tensor, keep: Tensor, f: (t: Tensor) => Tensor): Tensor {
  const out = f(h);
  if (h !== keep && out !== h) h.dispose();
  return out;
}

export interface ConvNormActOptions {
  /** @default 1 */
  stride?: Triple3;
  /** @default (kernel - 1) / 2 per axis */
  padding?: Triple3;
  /** A transposed convolution (learned upsampling). @default false */
  transposed?: boolean;
  /** Apply the configured norm. @default true */
  norm?: boolean;
  /** Apply the configured activation. @default true */
  act?: boolean;
  /** Dropout between the convolution and the norm, when the config enables in-block dropout. @default false */
  dropout?: boolean;
}

/**
 * Convolution → (dropout) → norm → activation, the unit every stage is made of.
 * @example new ConvNormAct(16, 32, [3, 3, 3], settings, { stride: [2, 2, 2] }); // (N,16,D,H,W) -> (N,32,D/2,H/2,W/2)
 */
export class ConvNormAct extends Module {
  readonly conv: Conv3d | ConvTranspose3d;
  readonly drop: Dropout | Dropout3d | null;
  readonly norm: NormLayer | null;
  readonly #act: boolean;
  readonly #s: BlockSettings;

  constructor(inChannels: number, outChannels: number, kernel: Triple3, s: BlockSettings, opts: ConvNormActOptions = {}) {
    super();
    this.#s = s;
    this.#act = opts.act ?? true;
    const stride = opts.stride ?? [1, 1, 1];
    const layer = { bias: s.convBias, generator: s.generator, dtype: s.dtype };
    this.conv = opts.transposed
      ? new ConvTranspose3d(inChannels, outChannels, kernel, { ...layer, stride, padding: opts.padding ?? 0 })
      : new Conv3d(inChannels, outChannels, kernel, { ...layer, stride, padding: opts.padding ?? (kernel.map((k) => (k - 1) / 2) as Triple3) });
    this.registerModule("conv", this.conv);
    this.drop = opts.dropout && s.dropout.blocks && s.dropout.p > 0 ? this.registerModule("drop", makeDropout(s)) : null;
    this.norm = (opts.norm ?? true) ? makeNorm(s, outChannels) : null;
    if (this.norm) this.registerModule("norm", this.norm);
  }

  /** (N, Cin, D, H, W) -> (N, Cout, D', H', W') */
  forward(x: Tensor): Tensor {
    let h = this.conv.forward(x);
    if (this.drop) h = step(h, x, (t) => (this.drop as Layer).forward(t));
    if (this.norm) h = step(h, x, (t) => (this.norm as Layer).forward(t));
    if (this.#act) h = step(h, x, (t) => activate(this.#s, t));
    return h;
  }
}

/**
 * A ResNet basic block: act(norm(conv(act(norm(conv(x))))) + shortcut(x)), where the shortcut is
 * the identity, or a 1×1×1 conv and norm when the stride or channel count changes.
 * - Paper: arXiv:1512.03385
 */
export class ResidualBlock extends Module {
  readonly a: ConvNormAct;
  readonly b: ConvNormAct;
  readonly shortcut: ConvNormAct | null;
  readonly #s: BlockSettings;

  constructor(inChannels: number, outChannels: number, kernel: Triple3, s: BlockSettings, stride: Triple3 = [1, 1, 1]) {
    super();
    this.#s = s;
    this.a = this.registerModule("a", new ConvNormAct(inChannels, outChannels, kernel, s, { stride, dropout: true }));
    this.b = this.registerModule("b", new ConvNormAct(outChannels, outChannels, kernel, s, { act: false, dropout: true }));
    const project = inChannels !== outChannels || stride.some((v) => v !== 1);
    this.shortcut = project ? this.registerModule("shortcut", new ConvNormAct(inChannels, outChannels, [1, 1, 1], s, { stride, padding: [0, 0, 0], act: false })) : null;
  }

  forward(x: Tensor): Tensor {
    const h = step(this.a.forward(x), x, (t) => this.b.forward(t));
    const sc = this.shortcut ? this.shortcut.forward(x) : x;
    const sum = add(h, sc);
    h.dispose();
    if (sc !== x) sc.dispose();
    return step(sum, x, (t) => activate(this.#s, t));
  }
}

/**
 * `depth` layers (plain) or residual blocks taking `inChannels` to `outChannels`; the first one
 * applies `stride`. Children are named 0, 1, ... as in a PyTorch Sequential.
 */
export function makeStage(block: BlockKind, inChannels: number, outChannels: number, depth: number, kernel: Triple3, s: BlockSettings, stride: Triple3 = [1, 1, 1]): Sequential {
  const layers: Layer[] = [];
  for (let i = 0; i < depth; i++) {
    const cin = i === 0 ? inChannels : outChannels;
    const st: Triple3 = i === 0 ? stride : [1, 1, 1];
    layers.push(block === "residual" ? new ResidualBlock(cin, outChannels, kernel, s, st) : new ConvNormAct(cin, outChannels, kernel, s, { stride: st, dropout: true }));
  }
  return new Sequential(...layers);
}

/**
 * One decoder upsampling step by `stride`: a transposed convolution with kernel = stride, or
 * trilinear / nearest interpolation followed by a convolution with the level's kernel; optionally
 * followed by norm and activation.
 */
export class Upsample extends Module {
  readonly conv: Conv3d | ConvTranspose3d;
  readonly norm: NormLayer | null;
  readonly #normAct: boolean;

  constructor(
    readonly kind: UpsampleKind,
    inChannels: number,
    outChannels: number,
    readonly stride: Triple3,
    kernel: Triple3,
    normAct: boolean,
    readonly settings: BlockSettings,
  ) {
    super();
    this.#normAct = normAct;
    const layer = { bias: settings.convBias, generator: settings.generator, dtype: settings.dtype };
    this.conv =
      kind === "transposed"
        ? new ConvTranspose3d(inChannels, outChannels, stride, { ...layer, stride })
        : new Conv3d(inChannels, outChannels, kernel, { ...layer, padding: kernel.map((k) => (k - 1) / 2) as Triple3 });
    this.registerModule("conv", this.conv);
    this.norm = normAct ? makeNorm(settings, outChannels) : null;
    if (this.norm) this.registerModule("norm", this.norm);
  }

  /** (N, Cin, D, H, W) -> (N, Cout, D·sD, H·sH, W·sW) */
  forward(x: Tensor): Tensor {
    let h: Tensor;
    if (this.kind === "transposed") {
      h = this.conv.forward(x);
    } else if (this.stride.every((v) => v === 1)) {
      h = this.conv.forward(x);
    } else {
      const up = interpolate(x, { scaleFactor: this.stride, mode: this.kind });
      h = step(up, x, (t) => this.conv.forward(t));
    }
    if (this.norm) h = step(h, x, (t) => (this.norm as Layer).forward(t));
    if (this.#normAct) h = step(h, x, (t) => activate(this.settings, t));
    return h;
  }
}

/** An indexed container of modules (PyTorch's ModuleList): children are named 0, 1, ... */
export class ModuleList<M extends Module> extends Module {
  readonly #items: M[];

  constructor(items: readonly M[]) {
    super();
    this.#items = [...items];
    this.#items.forEach((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.#items.length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): M {
    const m = this.#items.at(i);
    if (!m) throw new RangeError(`ModuleList has ${this.#items.length} modules. Received index: ${i}`);
    return m;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.#items[Symbol.iterator]();
  }

  /** A container has no forward of its own: call its items. */
  forward(): never {
    throw new TypeError("ModuleList is a container: call forward() on its items");
  }
}
