// Loads the libtorch addon and describes its raw interface. Nothing above src/tensor/ uses this
// file directly: the Tensor layer owns handles and turns native failures into NativeError.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** An opaque native handle (an N-API External owning one at::Tensor or at::Generator). */
export type NativeHandle = object & { readonly __nativeHandle: unique symbol };

/** A value the generic `call` entry point accepts or returns. */
export type NativeValue = NativeHandle | number | boolean | string | bigint | null | undefined | readonly NativeValue[];

export interface NativeStats {
  liveTensors: number;
  liveBytes: number;
  peakBytes: number;
}

export interface NativeInfo {
  torchVersion: string;
  config: string;
  parallel: string;
  numThreads: number;
  mkldnn: boolean;
  openmp: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
}

/** The functions exported by native/src/addon.cc. */
export interface NativeBinding {
  opLookup(name: string, overload: string): number;
  opSchema(id: number): string;
  call(id: number, args: readonly NativeValue[]): NativeValue;
  fromBuffer(data: ArrayBufferView, shape: readonly number[], scalarType: number, device: string): NativeHandle;
  toBuffer(h: NativeHandle): ArrayBuffer;
  meta(h: NativeHandle): [number[], number, string];
  dispose(h: NativeHandle): void;
  isDisposed(h: NativeHandle): boolean;
  stats(): NativeStats;
  resetPeak(): void;
  requiresGrad(h: NativeHandle): boolean;
  setRequiresGrad(h: NativeHandle, on: boolean): void;
  grad(h: NativeHandle): NativeHandle | null;
  setGrad(h: NativeHandle, g: NativeHandle | null): void;
  backward(outputs: NativeHandle[], grads: NativeHandle[] | null, retainGraph: boolean, createGraph: boolean): void;
  autogradGrad(
    outputs: NativeHandle[],
    inputs: NativeHandle[],
    gradOutputs: NativeHandle[] | null,
    retainGraph: boolean,
    createGraph: boolean,
    allowUnused: boolean,
  ): (NativeHandle | null)[];
  gradEnabled(): boolean;
  setGradEnabled(on: boolean): void;
  setNumThreads(n: number): void;
  numThreads(): number;
  manualSeed(seed: bigint): void;
  newGenerator(seed: bigint): NativeHandle;
  generatorState(g: NativeHandle): NativeHandle;
  setGeneratorState(g: NativeHandle, state: NativeHandle): void;
  setDeterministic(on: boolean): void;
  info(): NativeInfo;
}

/** A failure inside libtorch, with the operation that raised it. */
export class NativeError extends Error {
  override readonly name = "NativeError";
  constructor(
    readonly op: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const addonPath = path.join(root, "native", "build", "Release", "labelwise_native.node");

let loaded: NativeBinding | undefined;

/** The native binding, loaded on first use so pure modules never pay for (or need) libtorch. */
export function nativeBinding(): NativeBinding {
  if (loaded) return loaded;
  if (!existsSync(addonPath)) {
    throw new Error(
      `The labelwise native addon is not built (missing ${addonPath}). ` +
        "Run `npm run build:native` (needs libtorch: apt-get install libtorch-dev libopenblas0-openmp).",
    );
  }
  const require = createRequire(import.meta.url);
  try {
    loaded = require(addonPath) as NativeBinding;
  } catch (e) {
    throw new Error(`Cannot load the labelwise native addon ${addonPath}: ${(e as Error).message}`, { cause: e });
  }
  // libtorch 1.13 starts with half the CPUs (one thread on a 2-core machine); the default here is
  // all of them. setNumThreads() in src/tensor changes it.
  loaded.setNumThreads(availableParallelism());
  return loaded;
}
