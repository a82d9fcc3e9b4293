// One seed for every random source. Components draw from their own named streams
// (deriveSeed(seed, "init"), deriveSeed(seed, "dropout"), ...), so adding a random draw in one
// component never shifts the numbers another component sees.
import { manualSeed, setDeterministic } from "./engine.js";
import { Generator } from "./generator.js";

export interface SeedOptions {
  /** Ask libtorch for deterministic kernels (errors on ops without one). @default false */
  deterministic?: boolean;
}

/** A 64-bit seed for the named stream, derived from `seed` by SplitMix64 over an FNV-1a hash of the name. */
export function deriveSeed(seed: number | bigint, stream: string): bigint {
  const mask = (1n << 64n) - 1n;
  let h = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(stream)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & mask;
  }
  let z = (BigInt.asUintN(64, BigInt(seed)) ^ h) + 0x9e3779b97f4a7c15n;
  z &= mask;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
  return z ^ (z >> 31n);
}

/** A generator for the named stream of `seed`. */
export function streamGenerator(seed: number | bigint, stream: string): Generator {
  return new Generator(deriveSeed(seed, stream));
}

/**
 * Seeds libtorch's default generators (every device) from `seed` and sets the deterministic flag.
 * Code that needs reproducible draws independent of execution order should use streamGenerator().
 */
export function seedEverything(seed: number | bigint, opts: SeedOptions = {}): void {
  manualSeed(deriveSeed(seed, "libtorch-default"));
  setDeterministic(opts.deterministic ?? false);
}
