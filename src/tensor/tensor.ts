// The Tensor class: a JS owner of one native at::Tensor handle. Chainable op methods are attached
// in methods.ts so that this file stays the small core (handle, metadata, data, autograd, release).
import { type NativeHandle, nativeBinding } from "../native/index.js";
import { type AnyTypedArray, type DType, dtypeOfScalarType, typedArrayCtor } from "./dtype.js";
import { runNative } from "./errors.js";
import { track } from "./scope.js";

/** A device string: "cpu", "cuda", "cuda:1", ... passed to libtorch unchanged. */
export type Device = string;

let debugLeaks = false;
const leakRegistry = new FinalizationRegistry<string>((stack) => {
  // The native finaliser already freed the memory; this only says where the leaked tensor came from.
  process.emitWarning(`labelwise: a tensor was garbage-collected without dispose(); created at\n${stack}`, "TensorLeakWarning");
});

/** In debug mode, tensors collected by the GC without dispose() emit a warning with their creation stack. */
export function setLeakDebugging(on: boolean): void {
  debugLeaks = on;
}

export class Tensor implements Disposable {
  #handle: NativeHandle | null;
  #shape: readonly number[] | undefined;
  #dtype: DType | undefined;
  #device: Device | undefined;

  /** Wraps a native handle; the new Tensor owns it and joins the innermost open scope. */
  constructor(handle: NativeHandle) {
    this.#handle = handle;
    track(this);
    if (debugLeaks) leakRegistry.register(this, new Error().stack ?? "", this);
  }

  /** The native handle (throws if disposed). For the tensor layer only. */
  get handle(): NativeHandle {
    if (this.#handle === null) throw new Error("Cannot use a disposed tensor");
    return this.#handle;
  }

  get isDisposed(): boolean {
    return this.#handle === null;
  }

  #loadMeta(): void {
    const [shape, code, device] = nativeBinding().meta(this.handle);
    this.#shape = Object.freeze(shape);
    this.#dtype = dtypeOfScalarType(code);
    this.#device = device;
  }

  get shape(): readonly number[] {
    if (this.#shape === undefined) this.#loadMeta();
    return this.#shape as readonly number[];
  }

  get dtype(): DType {
    if (this.#dtype === undefined) this.#loadMeta();
    return this.#dtype as DType;
  }

  get device(): Device {
    if (this.#device === undefined) this.#loadMeta();
    return this.#device as Device;
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** A copy of the elements in row-major order (bool and uint8 as Uint8Array, int64 as BigInt64Array). */
  dataSync(): AnyTypedArray {
    const buf = nativeBinding().toBuffer(this.handle);
    const Ctor = typedArrayCtor(this.dtype);
    return new Ctor(buf);
  }

  /** The elements as plain numbers (int64 converted; for small tensors and tests). */
  toArray(): number[] {
    return Array.from(this.dataSync() as ArrayLike<number | bigint>, Number);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`item() needs a one-element tensor. Received: shape=[${this.shape.join(",")}]`);
    return Number(this.dataSync()[0]);
  }

  get requiresGrad(): boolean {
    return nativeBinding().requiresGrad(this.handle);
  }

  /** Marks this (leaf) tensor for gradient accumulation; returns this. */
  setRequiresGrad(on = true): this {
    nativeBinding().setRequiresGrad(this.handle, on);
    return this;
  }

  /** The accumulated gradient as a new handle (caller disposes it), or null. */
  get grad(): Tensor | null {
    const g = nativeBinding().grad(this.handle);
    return g === null ? null : new Tensor(g);
  }

  /** Whether a gradient has been accumulated (without creating a handle, unlike `grad`). */
  get hasGrad(): boolean {
    const b = nativeBinding();
    const g = b.grad(this.handle);
    if (g === null) return false;
    b.dispose(g);
    return true;
  }

  /** Replaces the gradient (null clears it, as optimisers' zeroGrad does). */
  setGrad(g: Tensor | null): void {
    nativeBinding().setGrad(this.handle, g === null ? null : g.handle);
  }

  /** Backpropagates from this tensor (a scalar unless `gradient` is given). */
  backward(gradient?: Tensor, options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
    const b = nativeBinding();
    const roots = [this.handle];
    const grads = gradient ? [gradient.handle] : null;
    runNative("backward", () => b.backward(roots, grads, options.retainGraph ?? false, options.createGraph ?? false));
  }

  /** Frees the native tensor now. Idempotent. */
  dispose(): void {
    if (this.#handle === null) return;
    nativeBinding().dispose(this.#handle);
    if (debugLeaks) leakRegistry.unregister(this);
    this.#handle = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    if (this.isDisposed) return "Tensor(disposed)";
    return `Tensor(shape=[${this.shape.join(", ")}], dtype=${this.dtype}, device=${this.device})`;
  }
}
