// Test support (not exported): loads a golden fixture written by one of test/golden/gen_*.py.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type RawTensor, decodeSafetensors } from "../safetensors.js";

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
