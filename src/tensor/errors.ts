// Argument errors raised before a call reaches libtorch, with the data a caller may want, and the
// wrapping of native failures outside the generic op call (autograd) into NativeError.
import { NativeError } from "../native/index.js";

/** A tensor had the wrong shape for an operation. */
export class ShapeError extends RangeError {
  override readonly name = "ShapeError";
  constructor(
    readonly op: string,
    readonly expected: string,
    readonly received: readonly number[],
  ) {
    super(`Cannot run ${op}: input must be ${expected}. Received: shape=[${received.join(",")}]`);
  }
}

/** Runs a direct native call (not through callOp), turning its failure into a NativeError naming `op`. */
export function runNative<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NativeError) throw e;
    throw new NativeError(op, `Cannot run ${op}: ${(e as Error).message}`, { cause: e });
  }
}
