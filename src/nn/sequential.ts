// Sequential: runs child layers in order; children are named "0", "1", ... as in PyTorch, so
// state dicts interchange.
import { type Tensor, callTensor } from "../tensor/index.js";
import { Module } from "./module.js";

/** A module mapping one tensor to one tensor. */
export type Layer = Module & { forward(x: Tensor): Tensor };

/**
 * Chains layers; owns them (dispose() frees them all).
 * @example const block = new Sequential(new Conv3d(1, 8, 3, { padding: 1 }), new InstanceNorm3d(8), new LeakyReLU());
 */
export class Sequential extends Module {
  readonly #layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    this.#layers = layers;
    layers.forEach((l, i) => this.registerModule(String(i), l));
  }

  get length(): number {
    return this.#layers.length;
  }

  /** The i-th layer (negative counts from the end). */
  at(i: number): Layer {
    const l = this.#layers.at(i);
    if (!l) throw new RangeError(`Sequential has ${this.#layers.length} layers. Received index: ${i}`);
    return l;
  }

  /** Feeds x through every layer; intermediate handles are released as soon as the next layer has run. */
  forward(x: Tensor): Tensor {
    let h = x;
    for (const layer of this.#layers) {
      const next = layer.forward(h);
      // Autograd keeps whatever it saved for backward alive on its own, so dropping our handle to
      // an intermediate is safe and keeps the live count flat outside tidy().
      if (h !== x && next !== h) h.dispose();
      h = next;
    }
    return h === x ? callTensor("aten::alias", [x]) : h;
  }
}
