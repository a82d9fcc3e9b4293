// Creating tensors: from JS data, filled, ranges and random draws.
import { nativeBinding } from "../../native/index.js";
import { type AnyTypedArray, type DType, dtypeOfTypedArray, scalarTypeOf, typedArrayCtor } from "../dtype.js";
import { callTensor } from "../dispatch.js";
import type { Generator } from "../generator.js";
import { type Device, Tensor } from "../tensor.js";

export interface CreateOptions {
  /** @default "float32" (or the typed array's own type) */
  dtype?: DType;
  /** @default "cpu" */
  device?: Device;
  /** @default false */
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  /** Draw from this generator instead of the default one (reproducible streams). */
  generator?: Generator;
}

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.setRequiresGrad(true);
  return t;
}

function checkShape(shape: readonly number[], where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`${where}: shape entries must be non-negative integers. Received: [${shape.join(",")}]`);
  }
}

/**
 * A tensor holding a copy of `data` with the given shape (default: 1-D).
 * @example tensor([1, 2, 3, 4], [2, 2])
 */
export function tensor(data: AnyTypedArray | readonly number[] | readonly boolean[] | number, shape?: readonly number[], opts: CreateOptions = {}): Tensor {
  let dtype: DType;
  let array: AnyTypedArray;
  if (typeof data === "number") {
    dtype = opts.dtype ?? "float32";
    array = toTyped([data], dtype);
    shape ??= [];
  } else if (ArrayBuffer.isView(data)) {
    dtype = opts.dtype ?? dtypeOfTypedArray(data);
    const natural = dtypeOfTypedArray(data);
    array =
      natural === dtype
        ? data
        : dtype === "bool" && natural === "uint8"
          ? boolBytes(data as Uint8Array)
          : toTyped(Array.from(data as ArrayLike<number | bigint>, Number), dtype);
  } else {
    dtype = opts.dtype ?? (typeof data[0] === "boolean" ? "bool" : "float32");
    array = toTyped((data as readonly (number | boolean)[]).map(Number), dtype);
  }
  const dims = shape ?? [array.length];
  checkShape(dims, "tensor()");
  const numel = dims.reduce((a, b) => a * b, 1);
  if (numel !== array.length) {
    throw new RangeError(`tensor(): shape [${dims.join(",")}] needs ${numel} elements. Received: ${array.length}`);
  }
  const h = nativeBinding().fromBuffer(array, dims, scalarTypeOf(dtype), opts.device ?? "cpu");
  return finish(new Tensor(h), opts);
}

/** A 0/1 mask as is; other non-zero bytes become 1 (libtorch bools must be bytes 0 or 1). */
function boolBytes(bytes: Uint8Array): Uint8Array {
  return bytes.every((v) => v <= 1) ? bytes : bytes.map((v) => (v !== 0 ? 1 : 0));
}

function toTyped(values: readonly number[], dtype: DType): AnyTypedArray {
  const Ctor = typedArrayCtor(dtype);
  if (dtype === "bool") return Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
  if (Ctor === BigInt64Array) return BigInt64Array.from(values, (v) => BigInt(Math.trunc(v)));
  if (dtype === "float16") throw new TypeError("tensor(): build float16 tensors from float32 data and cast with .to('float16')");
  return new (Ctor as Float64ArrayConstructor)(values) as AnyTypedArray;
}

function filled(op: string, shape: readonly number[], opts: CreateOptions): Tensor {
  checkShape(shape, op);
  return finish(callTensor(op, [shape, scalarTypeOf(opts.dtype ?? "float32"), null, opts.device ?? "cpu"]), opts);
}

export function zeros(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return filled("aten::zeros", shape, opts);
}

export function ones(shape: readonly number[], opts: CreateOptions = {}): Tensor {
  return filled("aten::ones", shape, opts);
}

export function full(shape: readonly number[], value: number, opts: CreateOptions = {}): Tensor {
  checkShape(shape, "full()");
  return finish(callTensor("aten::full", [shape, value, scalarTypeOf(opts.dtype ?? "float32"), null, opts.device ?? "cpu"]), opts);
}

function likeArgs(t: Tensor, opts: CreateOptions) {
  return [scalarTypeOf(opts.dtype ?? t.dtype), null, opts.device ?? t.device] as const;
}

export function zerosLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return finish(callTensor("aten::zeros_like", [t, ...likeArgs(t, opts)]), opts);
}

export function onesLike(t: Tensor, opts: CreateOptions = {}): Tensor {
  return finish(callTensor("aten::ones_like", [t, ...likeArgs(t, opts)]), opts);
}

export function fullLike(t: Tensor, value: number, opts: CreateOptions = {}): Tensor {
  return finish(callTensor("aten::full_like", [t, value, ...likeArgs(t, opts)]), opts);
}

/** Values from `start` (inclusive) to `end` (exclusive) by `step`; int64 unless a dtype is given. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) {
    end = start;
    start = 0;
  }
  const dtype = opts.dtype ?? (Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) ? "int64" : "float32");
  return finish(callTensor("aten::arange.start_step", [start, end, step, scalarTypeOf(dtype), null, opts.device ?? "cpu"]), opts);
}

export function linspace(start: number, end: number, steps: number, opts: CreateOptions = {}): Tensor {
  return finish(callTensor("aten::linspace", [start, end, steps, scalarTypeOf(opts.dtype ?? "float32"), null, opts.device ?? "cpu"]), opts);
}

export function eye(n: number, opts: CreateOptions = {}): Tensor {
  return finish(callTensor("aten::eye", [n, scalarTypeOf(opts.dtype ?? "float32"), null, opts.device ?? "cpu"]), opts);
}

// Random draws with a Generator run on the CPU generator and are moved afterwards, so the same
// seed yields the same numbers on every device.
function random(op: string, leading: readonly (number | readonly number[])[], shape: readonly number[], opts: RandomOptions): Tensor {
  checkShape(shape, op);
  const dtype = scalarTypeOf(opts.dtype ?? "float32");
  const device = opts.device ?? "cpu";
  let t: Tensor;
  if (opts.generator && device !== "cpu") {
    const cpu = callTensor(op, [...leading, shape, opts.generator, dtype, null, "cpu"]);
    t = callTensor("aten::to.device", [cpu, device, dtype]);
    cpu.dispose();
  } else {
    t = callTensor(op, [...leading, shape, opts.generator ?? null, dtype, null, device]);
  }
  return finish(t, opts);
}

/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return random("aten::rand.generator", [], shape, opts);
}

/** Standard normal samples. */
export function randn(shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return random("aten::randn.generator", [], shape, opts);
}

/** Integers uniform in [low, high); int64 unless a dtype is given. */
export function randint(low: number, high: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return random("aten::randint.low_generator", [low, high], shape, { ...opts, dtype: opts.dtype ?? "int64" });
}

/** A random permutation of 0..n-1 (int64). */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  const t = callTensor("aten::randperm.generator", [n, opts.generator ?? null, scalarTypeOf(opts.dtype ?? "int64"), null, "cpu"]);
  if ((opts.device ?? "cpu") === "cpu") return t;
  const moved = callTensor("aten::to.device", [t, opts.device ?? "cpu", scalarTypeOf(opts.dtype ?? "int64")]);
  t.dispose();
  return moved;
}

/** Normal samples with the given mean and standard deviation. */
export function normal(mean: number, std: number, shape: readonly number[], opts: RandomOptions = {}): Tensor {
  return random("aten::normal.float_float", [mean, std], shape, opts);
}
