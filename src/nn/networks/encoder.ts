// The encoder: one stage per resolution level, each optionally preceded by a downsampling step.
import { type Tensor, maxPool3d } from "../../tensor/index.js";
import { Module } from "../module.js";
import type { Sequential } from "../sequential.js";
import { type BlockSettings, ConvNormAct, ModuleList, makeDropout, makeStage } from "./blocks.js";
import type { ResolvedNetworkConfig } from "./config.js";

type Triple3 = [number, number, number];

/** One encoder level: (pool or strided conv block) then the level's layers. */
export class EncoderLevel extends Module {
  /** The separate strided conv-norm-act block ("strided-conv" downsampling), or null. */
  readonly down: ConvNormAct | null;
  readonly blocks: Sequential;

  constructor(
    /** Max-pooling window applied first ("max-pool" downsampling), or null. */
    readonly pool: Triple3 | null,
    down: ConvNormAct | null,
    blocks: Sequential,
  ) {
    super();
    this.down = down ? this.registerModule("down", down) : null;
    this.blocks = this.registerModule("blocks", blocks);
  }

  /** (N, Cin, D, H, W) -> (N, C, D/s, H/s, W/s) */
  forward(x: Tensor): Tensor {
    let h = x;
    if (this.pool) h = maxPool3d(h, this.pool, { stride: this.pool });
    if (this.down) {
      const d = this.down.forward(h);
      if (h !== x) h.dispose();
      h = d;
    }
    const out = this.blocks.forward(h);
    if (h !== x) h.dispose();
    return out;
  }
}

/**
 * The contracting path. forward() returns every level's output, top (full resolution) first; the
 * last entry is the bottleneck, after its dropout when configured.
 */
export class Encoder extends Module {
  readonly levels: ModuleList<EncoderLevel>;
  readonly bottleneckDropout: Module & { forward(x: Tensor): Tensor } | null;

  constructor(cfg: ResolvedNetworkConfig, s: BlockSettings) {
    super();
    const { channels, strides, kernelSizes, encoder } = cfg;
    const levels = channels.map((c, i) => {
      const kernel = kernelSizes[i] as Triple3;
      const depth = encoder.depths[i] as number;
      if (i === 0) return new EncoderLevel(null, null, makeStage(encoder.block, cfg.inChannels, c, depth, kernel, s));
      const prev = channels[i - 1] as number;
      const stride = strides[i] as Triple3;
      switch (encoder.downsample) {
        case "max-pool":
          return new EncoderLevel(stride, null, makeStage(encoder.block, prev, c, depth, kernel, s));
        case "strided-conv": {
          const down = new ConvNormAct(prev, c, stride, s, { stride, padding: [0, 0, 0] });
          return new EncoderLevel(null, down, makeStage(encoder.block, c, c, depth, kernel, s));
        }
        case "strided-first-conv":
          return new EncoderLevel(null, null, makeStage(encoder.block, prev, c, depth, kernel, s, stride));
      }
    });
    this.levels = this.registerModule("levels", new ModuleList(levels));
    this.bottleneckDropout = cfg.dropout.p > 0 && cfg.dropout.bottleneck ? this.registerModule("bottleneckDropout", makeDropout(s)) : null;
  }

  /** x (N, Cin, D, H, W) -> [level 0 (N, C0, D, H, W), ..., bottleneck (N, C_L-1, D/S, H/S, W/S)] */
  forward(x: Tensor): Tensor[] {
    const outs: Tensor[] = [];
    let h = x;
    for (const level of this.levels) {
      h = level.forward(h);
      outs.push(h);
    }
    if (this.bottleneckDropout) {
      const last = outs.pop() as Tensor;
      outs.push(this.bottleneckDropout.forward(last));
      last.dispose();
    }
    return outs;
  }
}
