// A small seeded PRNG for dataset splits. We own it (rather than depend on an npm generator)
// because a split must come out the same from the same seed in every future labelwise version:
// papers quote seeds, and a library's generator or its int-distribution can change between major
// versions. The algorithm is Mulberry32 (32-bit state, period 2^32), ample for shuffling case
// lists; its output is pinned by a test vector in splits.test.ts.

/** Seeded uniform generator over [0, 2^32). */
export interface Prng {
  /** Next 32-bit unsigned integer. */
  nextUint32(): number;
}

/** Mulberry32 generator from a 32-bit seed. */
export function mulberry32(seed: number): Prng {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Cannot seed the PRNG: seed must be an integer in [0, 2^32). Received: ${seed}`);
  }
  let s = seed >>> 0;
  return {
    nextUint32(): number {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}

/** Unbiased integer in [0, n) by rejection (n ≤ 2^32). */
export function uniformInt(rng: Prng, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new RangeError(`uniformInt: n must be an integer in [1, 2^32]. Received: ${n}`);
  const limit = 0x100000000 - (0x100000000 % n);
  for (;;) {
    const x = rng.nextUint32();
    if (x < limit) return x % n;
  }
}

/** A shuffled copy (Fisher–Yates, from the end). */
export function shuffled<T>(items: readonly T[], rng: Prng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Derives an independent stream's seed from a base seed and a stream number (a splitmix-style mix). */
export function deriveSeed(seed: number, stream: number): number {
  let z = (seed + Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
