// Options shared by layer constructors, and argument normalisation for 3-D layers.
import type { DType, Generator } from "../../tensor/index.js";

/** Construction options every layer with weights accepts. */
export interface LayerOptions {
  /** Draw the initial weights from this generator (one seed controls a whole model). */
  generator?: Generator;
  /** Parameter dtype. @default "float32" */
  dtype?: DType;
}

/** A size per spatial axis (D, H, W), or one size for all three. */
export type Triple = number | readonly [number, number, number];

/** Expands and validates a Triple; `min` is the smallest allowed entry. */
export function triple(v: Triple, what: string, min: number): [number, number, number] {
  const t: [number, number, number] = typeof v === "number" ? [v, v, v] : [v[0], v[1], v[2]];
  if ((typeof v !== "number" && v.length !== 3) || t.some((x) => !Number.isInteger(x) || x < min)) {
    throw new RangeError(`${what} must be an integer >= ${min} or three of them. Received: ${JSON.stringify(v)}`);
  }
  return t;
}

/** Throws unless n is a positive integer. */
export function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer. Received: ${n}`);
  return n;
}
