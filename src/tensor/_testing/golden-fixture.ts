// Test support (not exported): loads a golden fixture written by one of test/golden/gen_*.py.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type RawTensor, decodeSafetensors } from "../safetensors.js";
import type { Tensor } from "../tensor.js";

export interface GoldenFixture {
  readonly metadata: Readonly<Record<string, string>>;
  /** Every tensor name in the fixture. */
  names(): string[];
  /** The named tensor; throws when the fixture lacks it (a stale fixture, not a skipped case). */
  raw(name: string): RawTensor;
  /** The `cases` metadata entry parsed as JSON. */
  cases<T>(): T;
}

/** Finds test/golden/<file> above the compiled test and decodes it. */
export function loadGoldenFixture(file: string, generator: string): GoldenFixture {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  let found: string | undefined;
  for (;;) {
    const p = path.join(dir, "test", "golden", file);
    if (existsSync(p)) {
      found = p;
      break;
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`test/golden/${file} not found: run /usr/bin/python3 test/golden/${generator}`);
    dir = up;
  }
  const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(found)));
  return {
    metadata,
    names: () => [...tensors.keys()],
    raw(name) {
      const r = tensors.get(name);
      if (!r) throw new Error(`${file} has no tensor '${name}': regenerate it with test/golden/${generator}`);
      return r;
    },
    cases<T>() {
      const text = metadata.cases;
      if (text === undefined) throw new Error(`${file} has no 'cases' metadata`);
      return JSON.parse(text) as T;
    },
  };
}

/**
 * Asserts a float64 result equals a float64 reference element by element within
 * atol + rtol·|reference| (default 1e-12 + 1e-9·|b|: the goldens are float64 references), and is finite.
 */
export function assertCloseToRaw(label: string, got: Tensor, want: RawTensor, tol: { atol?: number; rtol?: number } = {}): void {
  const atol = tol.atol ?? 1e-12;
  const rtol = tol.rtol ?? 1e-9;
  assert.deepEqual([...got.shape], want.shape, `${label}: shape`);
  const g = got.dataSync() as Float64Array;
  const w = want.data as Float64Array;
  for (let i = 0; i < w.length; i++) {
    const a = g[i] as number;
    const b = w[i] as number;
    assert.ok(Number.isFinite(a), `${label}: element ${i} is ${a}`);
    assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `${label}: element ${i} is ${a}, reference ${b}`);
  }
}
