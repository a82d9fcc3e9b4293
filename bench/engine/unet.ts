// The labelwise side's 3-D U-Net for the engine benchmark, built from src/nn modules;
// bench/engine/reference.py is its PyTorch twin (same shapes, ops and parameter names): 4 levels
// (16-32-64-128), two conv-BatchNorm-ReLU per block, max-pool down, transposed-conv up,
// concatenated skips, 1×1×1 head.
//
// Memory: a tensor that autograd saved for backward stays alive through the graph, so a JS handle
// can be released as soon as the forward pass no longer needs it, which is what Python's
// refcounting does implicitly. Sequential releases inside the blocks; forward() below releases the
// U-Net's own intermediates (pooled maps, upsampled maps, concatenations, skips once joined).
// Leaving them to the step's tidy() scope instead raised peak RSS at 2×1×96³ training from 1.02×
// to 1.46× PyTorch's (measured while writing this benchmark).
import { BatchNorm3d, Conv3d, ConvTranspose3d, Module, ReLU, Sequential } from "../../src/nn/index.js";
import { type Tensor, cat, maxPool3d } from "../../src/tensor/index.js";

function block(cin: number, cout: number): Sequential {
  // No conv bias in front of a batch norm (the norm's shift cancels it).
  return new Sequential(
    new Conv3d(cin, cout, 3, { padding: 1, bias: false }),
    new BatchNorm3d(cout),
    new ReLU(),
    new Conv3d(cout, cout, 3, { padding: 1, bias: false }),
    new BatchNorm3d(cout),
    new ReLU(),
  );
}

export interface UNet3dOptions {
  /** @default 1 */
  inChannels?: number;
  /** @default 2 */
  classes?: number;
  /** Channels per level, top to bottom. @default [16, 32, 64, 128] */
  channels?: readonly number[];
}

export class UNet3d extends Module {
  readonly #enc: Sequential;
  readonly #up: Sequential;
  readonly #dec: Sequential;
  readonly #head: Conv3d;

  constructor(opts: UNet3dOptions = {}) {
    super();
    const channels = opts.channels ?? [16, 32, 64, 128];
    const inputs = [opts.inChannels ?? 1, ...channels.slice(0, -1)];
    // Sequential as a plain container gives PyTorch's ModuleList names (enc.0.0.weight, ...).
    this.#enc = this.registerModule("enc", new Sequential(...channels.map((c, i) => block(inputs[i] as number, c))));
    const rev = [...channels].reverse();
    const pairs = rev.slice(0, -1).map((hi, i) => [hi, rev[i + 1] as number] as const);
    this.#up = this.registerModule("up", new Sequential(...pairs.map(([hi, lo]) => new ConvTranspose3d(hi, lo, 2, { stride: 2 }))));
    this.#dec = this.registerModule("dec", new Sequential(...pairs.map(([, lo]) => block(2 * lo, lo))));
    this.#head = this.registerModule("head", new Conv3d(channels[0] as number, opts.classes ?? 2, 1));
  }

  /**
   * @param x (N, Cin, D, H, W), D, H and W divisible by 2^(levels-1)
   * @returns logits (N, classes, D, H, W)
   */
  forward(x: Tensor): Tensor {
    const skips: Tensor[] = [];
    let cur = x;
    const levels = this.#enc.length;
    for (let i = 0; i < levels; i++) {
      const h = this.#enc.at(i).forward(cur);
      if (cur !== x) cur.dispose();
      if (i < levels - 1) {
        skips.push(h);
        cur = maxPool3d(h, 2);
      } else {
        cur = h;
      }
    }
    for (let i = 0; i < this.#up.length; i++) {
      const up = this.#up.at(i).forward(cur);
      cur.dispose();
      const skip = skips.pop() as Tensor;
      const joined = cat([up, skip], 1);
      up.dispose();
      skip.dispose();
      cur = this.#dec.at(i).forward(joined);
      joined.dispose();
    }
    const logits = this.#head.forward(cur);
    cur.dispose();
    return logits;
  }
}
