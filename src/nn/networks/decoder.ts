// A decoder: from the bottleneck back to full resolution, one level at a time (upsample, join the
// encoder's skip by concatenation or sum, then the level's layers).
import { type Tensor, add, cat } from "../../tensor/index.js";
import { Module } from "../module.js";
import type { Sequential } from "../sequential.js";
import { type BlockSettings, ModuleList, Upsample, makeDropout, makeStage } from "./blocks.js";
import type { ResolvedDecoderConfig, ResolvedNetworkConfig, SkipFusion } from "./config.js";

type Triple3 = [number, number, number];

/** One decoder level j: upsample from level j+1, fuse with skip j, then the level's layers. */
export class DecoderLevel extends Module {
  readonly up: Upsample;
  readonly blocks: Sequential;

  constructor(
    readonly fusion: SkipFusion,
    up: Upsample,
    blocks: Sequential,
  ) {
    super();
    this.up = this.registerModule("up", up);
    this.blocks = this.registerModule("blocks", blocks);
  }

  /** below (N, C_j+1, ...) and skip (N, C_j, ...) -> (N, C_j, ...) at the skip's resolution */
  forward(below: Tensor, skip: Tensor): Tensor {
    const up = this.up.forward(below);
    const fused = this.fusion === "add" ? add(up, skip) : cat([up, skip], 1);
    up.dispose();
    const out = this.blocks.forward(fused);
    fused.dispose();
    return out;
  }
}

/** What a decoder computes before the heads. */
export interface DecoderFeatures {
  /** The top level's output (N, C0, D, H, W), after the output dropout when configured. */
  features: Tensor;
  /** Outputs of levels 1 .. L-2, highest resolution first (only when requested, for deep supervision). */
  levels: Tensor[];
}

export class Decoder extends Module {
  /** Index j holds decoder level j (0 = full resolution). */
  readonly levels: ModuleList<DecoderLevel>;
  readonly outputDropout: (Module & { forward(x: Tensor): Tensor }) | null;

  constructor(
    readonly spec: ResolvedDecoderConfig,
    cfg: ResolvedNetworkConfig,
    s: BlockSettings,
  ) {
    super();
    const { channels, strides, kernelSizes } = cfg;
    const levels = channels.slice(0, -1).map((c, j) => {
      const kernel = kernelSizes[j] as Triple3;
      const up = new Upsample(spec.upsample, channels[j + 1] as number, c, strides[j + 1] as Triple3, kernel, spec.upsampleNormAct, s);
      const cin = spec.fusion === "concat" ? 2 * c : c;
      return new DecoderLevel(spec.fusion, up, makeStage(spec.block, cin, c, spec.depths[j] as number, kernel, s));
    });
    this.levels = this.registerModule("levels", new ModuleList(levels));
    this.outputDropout = cfg.dropout.p > 0 && cfg.dropout.decoderOutput ? this.registerModule("outputDropout", makeDropout(s)) : null;
  }

  /**
   * @param skips the encoder's outputs, top first, bottleneck last (borrowed: not disposed)
   * @param keepLevels also return the outputs of levels 1 .. L-2 (deep supervision)
   */
  forward(skips: readonly Tensor[], keepLevels = false): DecoderFeatures {
    const n = this.levels.length;
    const kept: Tensor[] = [];
    let h = skips[n] as Tensor;
    for (let j = n - 1; j >= 0; j--) {
      const out = this.levels.at(j).forward(h, skips[j] as Tensor);
      if (h !== skips[n] && !kept.includes(h)) h.dispose();
      if (keepLevels && j > 0) kept.unshift(out);
      h = out;
    }
    if (this.outputDropout) {
      const dropped = this.outputDropout.forward(h);
      h.dispose();
      h = dropped;
    }
    return { features: h, levels: kept };
  }
}
