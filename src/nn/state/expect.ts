// Comparing what a state file holds with what the caller needs, before any native tensor exists:
// a checkpoint of the wrong model then fails with the full list of differences, not with the first
// copy that happens to break somewhere inside loadStateDict.
import type { DType } from "../../tensor/index.js";

/** The name-independent facts of one tensor that a load can require. */
export interface TensorSpec {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

const fmt = (shape: readonly number[]) => `[${shape.join(",")}]`;

/**
 * Lists every difference between `found` (the file) and `expect`, one sentence each, grouped as
 * missing names, unexpected names, shape mismatches, dtype mismatches (names sorted within a group).
 * With `strict` false, missing and unexpected names are allowed and only common names are compared.
 */
export function specProblems(found: ReadonlyMap<string, TensorSpec>, expect: ReadonlyMap<string, TensorSpec>, strict = true): string[] {
  const missing: string[] = [];
  const unexpected: string[] = [];
  const shapes: string[] = [];
  const dtypes: string[] = [];
  for (const name of [...expect.keys()].sort()) {
    const want = expect.get(name) as TensorSpec;
    const got = found.get(name);
    if (!got) {
      if (strict) missing.push(`missing tensor '${name}' (expected ${fmt(want.shape)} ${want.dtype})`);
      continue;
    }
    if (fmt(got.shape) !== fmt(want.shape)) shapes.push(`tensor '${name}': shape mismatch, expected ${fmt(want.shape)}, file has ${fmt(got.shape)}`);
    if (got.dtype !== want.dtype) dtypes.push(`tensor '${name}': dtype mismatch, expected ${want.dtype}, file has ${got.dtype}`);
  }
  if (strict) {
    for (const name of [...found.keys()].sort()) {
      const got = found.get(name) as TensorSpec;
      if (!expect.has(name)) unexpected.push(`unexpected tensor '${name}' (${fmt(got.shape)} ${got.dtype}) not among the ${expect.size} expected`);
    }
  }
  return [...missing, ...unexpected, ...shapes, ...dtypes];
}

/** The specs of a map of tensors (reads metadata only; creates no tensors). */
export function specsOf(tensors: ReadonlyMap<string, TensorSpec>): Map<string, TensorSpec> {
  return new Map([...tensors].map(([k, t]) => [k, { shape: [...t.shape], dtype: t.dtype }]));
}
