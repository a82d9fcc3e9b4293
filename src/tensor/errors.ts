// Argument errors raised before a call reaches libtorch, with the data a caller may want.

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
