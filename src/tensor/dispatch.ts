// Calls ATen operators through the addon's generic entry point: converts Tensor arguments to
// handles, wraps returned handles as Tensors, and turns native failures into NativeError with the
// shapes that were received.
import { NativeError, type NativeHandle, type NativeValue, nativeBinding } from "../native/index.js";
import { Generator } from "./generator.js";
import { Tensor } from "./tensor.js";

/** What a typed op function may pass to an ATen operator. */
export type OpArg = Tensor | Generator | number | boolean | string | bigint | null | undefined | readonly OpArg[];
export type OpResult = Tensor | number | boolean | string | null | OpResult[];

const ids = new Map<string, number>();

function opId(qualified: string): number {
  let id = ids.get(qualified);
  if (id === undefined) {
    const dot = qualified.indexOf(".");
    const name = dot < 0 ? qualified : qualified.slice(0, dot);
    const overload = dot < 0 ? "" : qualified.slice(dot + 1);
    try {
      id = nativeBinding().opLookup(name, overload);
    } catch (e) {
      throw new NativeError(qualified, `Cannot find operator ${qualified}: ${(e as Error).message}`, { cause: e });
    }
    ids.set(qualified, id);
  }
  return id;
}

function toNative(a: OpArg): NativeValue {
  if (a instanceof Tensor) return a.handle;
  if (a instanceof Generator) return a.handle;
  if (Array.isArray(a)) return a.map(toNative);
  return a as NativeValue;
}

function fromNative(v: NativeValue): OpResult {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(fromNative);
  if (typeof v === "object") return new Tensor(v as NativeHandle);
  return v as number | boolean | string;
}

function describe(a: OpArg): string {
  if (a instanceof Tensor) return a.isDisposed ? "disposed tensor" : `[${a.shape.join(",")}] ${a.dtype}`;
  if (Array.isArray(a)) return `[${a.map(describe).join(", ")}]`;
  if (a instanceof Generator) return "generator";
  return String(a);
}

/**
 * Runs the ATen operator `qualified` ("aten::conv3d", "aten::add.Tensor") with positional
 * arguments in schema order; trailing `undefined` arguments take the schema's defaults.
 */
export function callOp(qualified: string, args: readonly OpArg[]): OpResult {
  const id = opId(qualified);
  let out: NativeValue;
  try {
    out = nativeBinding().call(id, args.map(toNative));
  } catch (e) {
    const err = e as Error & { op?: string };
    const received = args.map(describe).join("; ");
    throw new NativeError(qualified, `Cannot run ${qualified}: ${err.message}. Received: (${received})`, { cause: e });
  }
  return fromNative(out);
}

/** callOp for operators returning one tensor. */
export function callTensor(qualified: string, args: readonly OpArg[]): Tensor {
  return callOp(qualified, args) as Tensor;
}

/** callOp for operators returning a tuple or list of tensors. */
export function callTensors(qualified: string, args: readonly OpArg[]): Tensor[] {
  return callOp(qualified, args) as Tensor[];
}

/** The schema of an operator, e.g. for error messages and docs. */
export function opSchema(qualified: string): string {
  return nativeBinding().opSchema(opId(qualified));
}
