// Process-wide engine settings: threads, seeding, determinism, grad mode and memory statistics.
import { type NativeInfo, nativeBinding } from "../native/index.js";
import { availableParallelism } from "node:os";

/** Sets libtorch's intra-op thread count (default: all cores; libtorch alone would use half). */
export function setNumThreads(n: number = availableParallelism()): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads needs a positive integer. Received: ${n}`);
  nativeBinding().setNumThreads(n);
}

export function numThreads(): number {
  return nativeBinding().numThreads();
}

/** Seeds libtorch's default generators (every device). */
export function manualSeed(seed: number | bigint): void {
  nativeBinding().manualSeed(BigInt.asUintN(64, BigInt(seed)));
}

/** Asks libtorch for deterministic algorithms (errors on ops that have none) and no cuDNN autotuning. */
export function setDeterministic(on: boolean): void {
  nativeBinding().setDeterministic(on);
}

/** Engine facts: libtorch version, build configuration, threads, devices. */
export function engineInfo(): NativeInfo {
  return nativeBinding().info();
}

export function isGradEnabled(): boolean {
  return nativeBinding().gradEnabled();
}

function withGradMode<T>(on: boolean, fn: () => T): T {
  const b = nativeBinding();
  const prev = b.gradEnabled();
  b.setGradEnabled(on);
  try {
    const r = fn();
    if (r instanceof Promise) {
      r.catch(() => {}); // the TypeError below replaces the abandoned promise's outcome
      throw new TypeError("noGrad()/enableGrad() take a synchronous function: grad mode is per thread and cannot follow an await");
    }
    return r;
  } finally {
    b.setGradEnabled(prev);
  }
}

/** Runs `fn` with autograd recording off (inference, EMA updates, metrics). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with autograd recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

export interface MemoryInfo {
  /** Native tensors not yet disposed (including ones only the GC could still free). */
  liveTensors: number;
  /** Bytes addressed by those tensors. */
  liveBytes: number;
  /** Highest liveBytes since start or the last resetPeakMemory(). */
  peakBytes: number;
}

/** Live native tensors and bytes, like tf.memory(). */
export function memory(): MemoryInfo {
  return nativeBinding().stats();
}

export function resetPeakMemory(): void {
  nativeBinding().resetPeak();
}
