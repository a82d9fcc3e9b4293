// SegmentationNetwork: encoder → decoder(s) → heads, built entirely from a NetworkConfig. The
// U-Net, the V-Net, a ResNet-encoder V-Net and the three-decoder FBA-Net+ backbone are all values
// of that config.
import { type DType, type Generator, type Tensor, ShapeError, noGrad, tidy } from "../../tensor/index.js";
import { ConvTranspose3d } from "../conv-transpose3d.js";
import { Conv3d } from "../conv3d.js";
import { kaimingNormal, zeros } from "../init.js";
import { Module } from "../module.js";
import { type BlockSettings, ModuleList } from "./blocks.js";
import type { NetworkConfig, ResolvedNetworkConfig } from "./config.js";
import { Decoder } from "./decoder.js";
import { Encoder } from "./encoder.js";
import { ContrastiveHead, DecoderHeads, MaskHead } from "./heads.js";
import { resolveNetworkConfig, sizeDivisor } from "./resolve.js";

export interface NetworkBuildOptions {
  /** Draw the initial weights from this generator (one seed, one model). */
  generator?: Generator;
  /** Draw dropout masks from this generator. */
  dropoutGenerator?: Generator;
  /** Parameter dtype. @default "float32" */
  dtype?: DType;
}

/** What one decoder and its heads produce. */
export interface DecoderOutput {
  /** Segmentation logits (N, numClasses, D, H, W). */
  logits: Tensor;
  /** The decoder's top feature map (N, channels[0], D, H, W): the heads' input. */
  features: Tensor;
  /** Per-voxel embedding (N, dim, D, H, W) with unit L2 norm over dim 1; present with a contrastive head. */
  embedding?: Tensor;
  /**
   * Logits of decoder levels 1 .. L-2 (N, numClasses, D/s1, ...), highest resolution first; present
   * when deep supervision is configured and requested. The full-resolution logits are `logits`.
   */
  deepSupervision?: Tensor[];
}

/** The network's output: decoder 0's fields, plus the other decoders' outputs when there are several. */
export interface NetworkOutput extends DecoderOutput {
  /** Outputs of decoders 1 .. k-1 (they share the encoder with decoder 0). */
  otherDecoders?: DecoderOutput[];
}

export interface ForwardOptions {
  /** Compute the contrastive embedding (when the network has the head). @default true */
  embedding?: boolean;
  /** Return deep-supervision logits (when configured). @default the module's training mode */
  deepSupervision?: boolean;
  /** Run only this decoder (its output becomes the top-level fields). @default every decoder */
  decoder?: number;
}

/** Every decoder's output, decoder 0 first. */
export function decoderOutputs(out: NetworkOutput): DecoderOutput[] {
  const { otherDecoders, ...first } = out;
  return [first, ...(otherDecoders ?? [])];
}

/**
 * A configurable 3-D encoder-decoder segmentation network with a mask head, an optional
 * contrastive head, optional deep supervision and one or more decoders sharing the encoder.
 * @example
 * using net = new SegmentationNetwork(vnetConfig({ numClasses: 2 }), { generator: new Generator(0) });
 * const { logits, features } = net.forward(x); // x (N, 1, D, H, W), D, H, W multiples of 16
 */
export class SegmentationNetwork extends Module {
  /** The resolved configuration (every default filled in; JSON-serialisable, e.g. for checkpoints). */
  readonly config: ResolvedNetworkConfig;
  readonly encoder: Encoder;
  readonly decoders: ModuleList<Decoder>;
  /** Index k holds decoder k's heads. */
  readonly heads: ModuleList<DecoderHeads>;
  readonly #divisor: [number, number, number];

  /** @throws RangeError naming the invalid config field */
  constructor(config: NetworkConfig = {}, opts: NetworkBuildOptions = {}) {
    super();
    const cfg = resolveNetworkConfig(config);
    this.config = cfg;
    this.#divisor = sizeDivisor(cfg);
    const s: BlockSettings = {
      norm: cfg.norm,
      activation: cfg.activation,
      convBias: cfg.convBias,
      dropout: cfg.dropout,
      generator: opts.generator,
      dropoutGenerator: opts.dropoutGenerator,
      dtype: opts.dtype,
    };
    this.encoder = this.registerModule("encoder", new Encoder(cfg, s));
    this.decoders = this.registerModule("decoders", new ModuleList(cfg.decoders.map((d) => new Decoder(d, cfg, s))));
    const top = cfg.channels[0] as number;
    const ch = cfg.contrastiveHead;
    this.heads = this.registerModule(
      "heads",
      new ModuleList(
        cfg.decoders.map(
          () =>
            new DecoderHeads(
              new MaskHead(top, cfg.numClasses, s),
              ch ? new ContrastiveHead(top, ch.hiddenChannels, ch.dim, ch.kernelSize, s) : null,
              cfg.deepSupervision ? new ModuleList(cfg.channels.slice(1, -1).map((c) => new MaskHead(c, cfg.numClasses, s))) : null,
            ),
        ),
      ),
    );
    if (cfg.init === "he") this.#heInit(opts.generator);
  }

  // nnU-Net's InitWeights_He: Kaiming normal (fan in, leaky-ReLU gain) on every conv, zero biases.
  #heInit(generator: Generator | undefined): void {
    const a = this.config.activation.kind === "leaky-relu" ? this.config.activation.negativeSlope : 0;
    noGrad(() => {
      for (const m of this.modules()) {
        if (!(m instanceof Conv3d || m instanceof ConvTranspose3d)) continue;
        kaimingNormal(m.weight, { a, generator });
        if (m.bias) zeros(m.bias);
      }
    });
  }

  #checkInput(x: Tensor): void {
    const d = this.#divisor;
    const ok = x.rank === 5 && x.shape[1] === this.config.inChannels && x.shape.slice(2).every((n, i) => n > 0 && n % (d[i] as number) === 0);
    if (!ok) throw new ShapeError("SegmentationNetwork", `(N, ${this.config.inChannels}, D, H, W) with D, H, W multiples of [${d.join(", ")}]`, x.shape);
  }

  /**
   * Runs the encoder and every decoder with its heads (inside a scope: only the outputs survive).
   * @param x (N, inChannels, D, H, W), each spatial size a multiple of the product of the strides
   */
  forward(x: Tensor, opts: ForwardOptions = {}): NetworkOutput {
    this.#checkInput(x);
    const which = opts.decoder === undefined ? Array.from({ length: this.decoders.length }, (_, i) => i) : [this.#decoderIndex(opts.decoder)];
    return tidy(() => {
      const skips = this.encoder.forward(x);
      const outs = which.map((k) => this.#decode(skips, k, opts));
      for (const t of skips) t.dispose();
      const [first, ...rest] = outs as [DecoderOutput, ...DecoderOutput[]];
      return rest.length > 0 ? { ...first, otherDecoders: rest } : first;
    });
  }

  /**
   * The encoder alone: every level's output, top first, bottleneck (after its dropout) last. The
   * caller owns the tensors; feed them (perturbed, for feature-level consistency) to decode().
   */
  encode(x: Tensor): Tensor[] {
    this.#checkInput(x);
    return tidy(() => this.encoder.forward(x));
  }

  /** Decoder `index` and its heads on encoder outputs from encode() (borrowed, not disposed). */
  decode(skips: readonly Tensor[], index = 0, opts: Omit<ForwardOptions, "decoder"> = {}): DecoderOutput {
    if (skips.length !== this.config.channels.length) {
      throw new RangeError(`decode() needs one tensor per level (${this.config.channels.length}). Received: ${skips.length}`);
    }
    return tidy(() => this.#decode(skips, this.#decoderIndex(index), opts));
  }

  #decoderIndex(k: number): number {
    if (!Number.isInteger(k) || k < 0 || k >= this.decoders.length) {
      throw new RangeError(`decoder must be an index below ${this.decoders.length}. Received: ${k}`);
    }
    return k;
  }

  #decode(skips: readonly Tensor[], k: number, opts: Omit<ForwardOptions, "decoder">): DecoderOutput {
    const heads = this.heads.at(k);
    const wantDs = heads.deepSupervision !== null && (opts.deepSupervision ?? this.training);
    const { features, levels } = this.decoders.at(k).forward(skips, wantDs);
    const out: DecoderOutput = { logits: heads.mask.forward(features), features };
    if (heads.contrastive && (opts.embedding ?? true)) out.embedding = heads.contrastive.forward(features);
    if (wantDs && heads.deepSupervision) {
      const ds = heads.deepSupervision;
      out.deepSupervision = levels.map((f, i) => ds.at(i).forward(f));
      for (const f of levels) f.dispose();
    }
    return out;
  }
}
