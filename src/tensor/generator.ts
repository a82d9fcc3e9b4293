// Seeded random generators. Every random op takes an optional Generator; without one it uses
// libtorch's default generator, which `manualSeed` seeds.
import { type NativeHandle, nativeBinding } from "../native/index.js";
import { Tensor } from "./tensor.js";

/** A seeded CPU random generator (random tensors for other devices are drawn on CPU, then moved). */
export class Generator {
  readonly handle: NativeHandle;
  readonly seed: bigint;

  constructor(seed: number | bigint) {
    this.seed = BigInt.asUintN(64, BigInt(seed));
    this.handle = nativeBinding().newGenerator(this.seed);
  }

  /** The generator's full state as a uint8 tensor (for checkpoints). */
  getState(): Tensor {
    return new Tensor(nativeBinding().generatorState(this.handle));
  }

  setState(state: Tensor): void {
    nativeBinding().setGeneratorState(this.handle, state.handle);
  }
}
